/**
 * The pages, as liquid templates with every output escaped (`outputEscape: 'escape'`); only the action forms' own
 * HTML (built with ctx.escape) and the layout's content go through `| raw`. No inline style or script: the CSP
 * forbids both. Each page has one <h1>, an error summary linked to the fields, labels tied to inputs and hints tied
 * by aria-describedby (WCAG 2.2 AA).
 */
export const LAYOUT = `<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
{% if refresh %}<meta http-equiv="refresh" content="0; url={{ refresh }}">
{% endif %}<title>{% if hasErrors %}{{ t.errorPrefix }}{% endif %}{{ title }} – {{ t.appName }}</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<a class="skip" href="#main">{{ t.skip }}</a>
<header class="bar"><span class="brand">{{ t.appName }}</span></header>
<main id="main" tabindex="-1">
{{ content | raw }}
</main>
<footer class="foot"><p>{{ t.footer }}</p></footer>
</body>
</html>
`;

export const ERROR_SUMMARY = `{% if errors.size > 0 %}<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">{{ summaryTitle }}</h2>
<ul>{% for e in errors %}<li><a href="#{{ e.field }}">{{ e.message }}</a></li>{% endfor %}</ul>
</div>{% endif %}`;

export const MESSAGE = `<h1>{{ title }}</h1>
<p>{{ body }}</p>
{% if call %}<p>{{ call }}</p>{% endif %}`;

/**
 * The card processor's return reached us without the session cookie (SameSite=Strict is not sent at the end of a
 * cross-site redirect chain): the same URL again, as a same-site navigation — at once (meta refresh in the layout),
 * or by this Continue button where refresh is off. No script.
 */
export const RETURN_BOUNCE = `<h1>{{ title }}</h1>
<p>{{ body }}</p>
<form method="get" action="{{ action }}" novalidate>
{% for f in fields %}<input type="hidden" name="{{ f.name }}" value="{{ f.value }}">
{% endfor %}<button type="submit" class="button">{{ continue }}</button>
</form>`;

/** GET /l/:token: consumes nothing; the form posts back to the same URL (mail scanners fetch, people press). */
export const LINK = `<h1>{{ title }}</h1>
<p>{{ intro }}</p>
<form method="post" novalidate>
<button type="submit" class="button">{{ continue }}</button>
</form>`;

export const VERIFY_CODE = `${ERROR_SUMMARY}
<h1>{{ title }}</h1>
{% if sentTo %}<p class="notice" role="status">{{ sentText }}</p>{% else %}<p>{{ intro }}</p>{% endif %}
{% if sentTo or codeLive %}<form method="post" action="/s/verify/code" novalidate>
<input type="hidden" name="_csrf" value="{{ csrf }}">
<div class="field{% if codeError %} field--error{% endif %}">
<label for="code">{{ codeLabel }}</label>
<p class="hint" id="code-hint">{{ codeHint }}</p>
{% if codeError %}<p class="error" id="code-error">{{ codeError }}</p>{% endif %}
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="7" pattern="[0-9 ]*"
 aria-describedby="code-hint{% if codeError %} code-error{% endif %}"{% if codeError %} aria-invalid="true"{% endif %}>
</div>
<button type="submit" class="button">{{ submit }}</button>
</form>{% endif %}
<form method="post" action="/s/verify/send-code" novalidate>
<input type="hidden" name="_csrf" value="{{ csrf }}">
<button type="submit" class="button{% if sentTo or codeLive %} button--secondary{% endif %}">{{ sendLabel }}</button>
</form>`;

export const VERIFY_FACTS = `${ERROR_SUMMARY}
<h1>{{ title }}</h1>
<p>{{ intro }}</p>
<form method="post" action="/s/verify/facts" novalidate>
<input type="hidden" name="_csrf" value="{{ csrf }}">
{% for f in facts %}<div class="field{% if f.error %} field--error{% endif %}">
<label for="{{ f.name }}">{{ f.label }}</label>
<p class="hint" id="{{ f.name }}-hint">{{ f.hint }}</p>
{% if f.error %}<p class="error" id="{{ f.name }}-error">{{ f.error }}</p>{% endif %}
<input id="{{ f.name }}" name="{{ f.name }}" type="text" autocomplete="{{ f.autocomplete }}" maxlength="12" value="{{ f.value }}"
 aria-describedby="{{ f.name }}-hint{% if f.error %} {{ f.name }}-error{% endif %}"{% if f.error %} aria-invalid="true"{% endif %}>
</div>
{% endfor %}<button type="submit" class="button">{{ submit }}</button>
</form>`;

export const ACTIONS = `${ERROR_SUMMARY}
<h1>{{ title }}</h1>
{% if actions.size == 0 %}<p>{{ none }}</p>{% endif %}
{% for a in actions %}<section class="action" aria-labelledby="action-{{ a.actionId }}">
<h2 id="action-{{ a.actionId }}">{{ a.label }}</h2>
{% if a.html %}{{ a.html | raw }}{% else %}<p>{{ call }}</p>{% endif %}
</section>
{% endfor %}
{% if canDecline %}<section class="action" aria-labelledby="decline-title">
<h2 id="decline-title">{{ decline.title }}</h2>
<form method="post" action="/s/actions/decline" novalidate>
<input type="hidden" name="_csrf" value="{{ csrf }}">
<div class="field{% if decline.error %} field--error{% endif %}">
<label for="reason">{{ decline.label }}</label>
<p class="hint" id="reason-hint">{{ decline.hint }}</p>
{% if decline.error %}<p class="error" id="reason-error">{{ decline.error }}</p>{% endif %}
<textarea id="reason" name="reason" rows="3" maxlength="500" aria-describedby="reason-hint{% if decline.error %} reason-error{% endif %}"{% if decline.error %} aria-invalid="true"{% endif %}>{{ decline.value }}</textarea>
</div>
<button type="submit" class="button button--secondary">{{ decline.submit }}</button>
</form>
</section>{% endif %}
<section class="action" aria-labelledby="optout-title">
<h2 id="optout-title">{{ optout.title }}</h2>
<p>{{ optout.body }}</p>
<form method="post" action="/s/opt-out" novalidate>
<input type="hidden" name="_csrf" value="{{ csrf }}">
<button type="submit" class="button button--secondary">{{ optout.submit }}</button>
</form>
</section>
<p class="small">{{ consent }}</p>`;
