/**
 * The console's pages as liquid templates, every output escaped (`outputEscape: 'escape'`); only the layout's
 * content goes through `| raw`. No inline style or script (the CSP forbids both): the one script is /assets/charts.js,
 * which draws the SLO charts with uPlot from the data-series attributes. One <h1> per page, labels tied to inputs,
 * tables with captions and header cells (WCAG 2.2 AA).
 */
export const LAYOUT = `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{% if hasErrors %}Error: {% endif %}{{ title }} – Closeout operations</title>
<link rel="stylesheet" href="/assets/console.css">
{% if charts %}<link rel="stylesheet" href="/assets/uPlot.min.css">
<script src="/assets/uPlot.iife.min.js" defer></script>
<script src="/assets/charts.js" defer></script>
{% endif %}</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header class="bar">
<span class="brand">Closeout operations</span>
{% if operator %}<nav aria-label="Console">
<ul class="nav">
<li><a href="/exceptions"{% if nav == 'exceptions' %} aria-current="page"{% endif %}>Exception queue</a></li>
<li><a href="/slo"{% if nav == 'slo' %} aria-current="page"{% endif %}>SLOs</a></li>
<li><a href="/breaks"{% if nav == 'breaks' %} aria-current="page"{% endif %}>Breaks and alerts</a></li>
</ul>
</nav>
<form class="signout" method="post" action="/logout">
<input type="hidden" name="_csrf" value="{{ csrf }}">
<span class="who">{{ operator }} ({{ role }})</span>
<button type="submit" class="button button--secondary">Sign out</button>
</form>{% endif %}
</header>
<main id="main" tabindex="-1">
{{ content | raw }}
</main>
</body>
</html>
`;

export const ERROR_SUMMARY = `{% if errors.size > 0 %}<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">There is a problem</h2>
<ul>{% for e in errors %}<li>{% if e.anchor %}<a href="#{{ e.anchor }}">{{ e.field }}: {{ e.rule }}</a>{% else %}{{ e.field }}: {{ e.rule }}{% endif %}</li>{% endfor %}</ul>
</div>{% endif %}`;

/** A source a page could not read: said plainly, the rest of the page still shown. */
const UNAVAILABLE = `<p class="notice">{{ x }}</p>`;
const unavailable = (v: string) => UNAVAILABLE.replace('x', v);

export const LOGIN = `${ERROR_SUMMARY}
<h1>Sign in</h1>
<form method="post" action="/login" novalidate class="narrow">
<input type="hidden" name="_csrf" value="{{ csrf }}">
<div class="field">
<label for="operator">Operator id</label>
<input type="text" id="operator" name="operator" autocomplete="username" spellcheck="false" maxlength="64" value="{{ operatorId }}"{% if invalid %} aria-invalid="true"{% endif %}>
</div>
<div class="field">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" maxlength="256"{% if invalid %} aria-invalid="true"{% endif %}>
</div>
<button type="submit" class="button">Sign in</button>
</form>`;

export const MESSAGE = `${ERROR_SUMMARY}
<h1>{{ title }}</h1>
<p>{{ body }}</p>
{% if back %}<p><a href="{{ back }}">{{ backText }}</a></p>{% endif %}`;

const KV = `<dl class="kv">{% for p in x %}<div><dt>{{ p.key }}</dt><dd>{{ p.value }}</dd></div>{% endfor %}</dl>`;
const kv = (v: string) => KV.replace('in x', `in ${v}`);

/** The resolve form of one open exception: one radio per resolution its kind allows, and the note for the audit. */
const RESOLVE_FORM = `{% if canAct and e.actions.size > 0 %}<form method="post" action="/exceptions/{{ e.exceptionId }}/resolve" class="resolve" novalidate>
<input type="hidden" name="_csrf" value="{{ csrf }}">
<input type="hidden" name="caseId" value="{{ e.caseId }}">
<fieldset>
<legend>Resolve {{ e.kind }} on case {{ e.caseId }}</legend>
<div class="radios">{% for a in e.actions %}<div class="radio"><input type="radio" id="r-{{ e.exceptionId }}-{{ a.value }}" name="resolution" value="{{ a.value }}"{% if forloop.first %} checked{% endif %}>
<label for="r-{{ e.exceptionId }}-{{ a.value }}">{{ a.label }}</label></div>{% endfor %}</div>
<div class="field">
<label for="note-{{ e.exceptionId }}">Note for the audit trail (why)</label>
<textarea id="note-{{ e.exceptionId }}" name="note" rows="2" maxlength="2000" required></textarea>
</div>
<button type="submit" class="button">Resolve</button>
</fieldset>
</form>{% elsif e.actions.size > 0 %}<p class="small">Agents may: {% for a in e.actions %}{{ a.label }}{% unless forloop.last %}, {% endunless %}{% endfor %}.</p>{% endif %}`;

export const EXCEPTIONS = `${ERROR_SUMMARY}
<h1>Exception queue</h1>
<form method="get" action="/exceptions" class="filters" novalidate>
<div class="field"><label for="status">Status</label>
<select id="status" name="status">{% for o in filters.statuses %}<option value="{{ o.value }}"{% if o.selected %} selected{% endif %}>{{ o.label }}</option>{% endfor %}</select></div>
<div class="field"><label for="kind">Kind</label>
<input type="text" id="kind" name="kind" maxlength="128" value="{{ filters.kind }}" spellcheck="false"></div>
<div class="field"><label for="workflowId">Workflow</label>
<input type="text" id="workflowId" name="workflowId" maxlength="128" value="{{ filters.workflowId }}"></div>
<div class="field"><label for="queue">Queue</label>
<input type="text" id="queue" name="queue" maxlength="128" value="{{ filters.queue }}"></div>
<button type="submit" class="button button--secondary">Filter</button>
</form>
{% if source %}${unavailable('source')}{% endif %}
<p class="small" role="status">{{ items.size }} exception{% if items.size != 1 %}s{% endif %}, most urgent first.</p>
<ol class="queue">
{% for e in items %}<li class="item priority-{{ e.priority }}">
<h2><span class="tag">{{ e.priority }}</span> {{ e.kind }} — <a href="/cases/{{ e.caseId }}">case {{ e.caseId }}</a></h2>
<p class="small">{{ e.workflowId }} · queue {{ e.queue }} · opened {{ e.openedAt }} · case {{ e.caseState }}{% if e.resolvedAt != "" %} · resolved {{ e.resolvedAt }}{% endif %}</p>
<p>{{ e.summary }}</p>
<h3>What happened</h3><p>{{ e.whatHappened }}</p>
<h3>What was tried</h3>{% if e.tried.size > 0 %}${kv('e.tried')}{% else %}<p class="small">Nothing yet.</p>{% endif %}
<h3>What the customer did</h3>{% if e.customerDid.size > 0 %}${kv('e.customerDid')}{% else %}<p class="small">Nothing recorded.</p>{% endif %}
{% if e.guidance != "" %}<h3>Guidance</h3><p>{{ e.guidance }}</p>{% endif %}
${RESOLVE_FORM}
</li>{% endfor %}
</ol>`;

export const CASE = `{% if resolved %}<div class="notice" role="status"><p>{{ resolved }}</p></div>{% endif %}
<h1>Case {{ c.caseId }}</h1>
<dl class="kv summary">
<div><dt>State</dt><dd><strong>{{ c.state }}</strong></dd></div>
<div><dt>Workflow</dt><dd>{{ c.workflowId }} (definition {{ c.definitionVersion }})</dd></div>
<div><dt>Customer</dt><dd>{{ c.customerId }}</dd></div>
<div><dt>Opened</dt><dd>{{ c.openedAt }}</dd></div>
<div><dt>Updated</dt><dd>{{ c.updatedAt }}</dd></div>
<div><dt>Completed</dt><dd>{{ c.completedAt }}</dd></div>
<div><dt>Trace</dt><dd>{% if traceUrl %}<a href="{{ traceUrl }}" rel="noreferrer" target="_blank">Open the case's trace in Zipkin<span class="vh"> (opens in a new tab)</span></a>{% else %}Zipkin is not configured{% endif %}</dd></div>
</dl>
{% if exceptions.size > 0 %}<h2>Exceptions</h2>
<ol class="queue">{% for e in exceptions %}<li class="item priority-{{ e.priority }}">
<h3>{{ e.kind }} ({{ e.status }}) — queue {{ e.queue }}</h3>
<p>{{ e.summary }}</p>
<p class="small">What happened: {{ e.whatHappened }}</p>
{% if e.resolution != "" %}<p class="small">Resolution: {{ e.resolution }}</p>{% endif %}
${RESOLVE_FORM}
</li>{% endfor %}</ol>{% endif %}
<h2 id="timeline">Timeline</h2>
<table>
<caption class="vh">What happened to the case, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Rule</th><th scope="col">Detail</th></tr></thead>
<tbody>{% for t in c.timeline %}<tr><td class="nowrap">{{ t.at }}</td><td>{{ t.kind }}</td><td>{{ t.ruleId }}</td><td>{{ t.detail }}</td></tr>{% endfor %}</tbody>
</table>
<h2 id="writebacks">Writebacks</h2>
{% if c.writebacks.size > 0 %}<table>
<caption class="vh">Writebacks to the cores, with attempts and the destination's reference</caption>
<thead><tr><th scope="col">Destination</th><th scope="col">Operation</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Provider reference</th><th scope="col">Idempotency key</th><th scope="col">Requested</th><th scope="col">Applied</th></tr></thead>
<tbody>{% for w in c.writebacks %}<tr{% if w.superseded %} class="superseded"{% endif %}><td>{{ w.destination }} ({{ w.protocol }})</td><td>{{ w.operation }}</td><td>{{ w.status }}{% if w.errorClass != "" %} — {{ w.errorClass }}{% endif %}{% if w.superseded %} (superseded){% endif %}</td><td>{{ w.attempts }}</td><td>{{ w.providerRef }}</td><td class="mono">{{ w.idempotencyKey }}</td><td class="nowrap">{{ w.requestedAt }}</td><td class="nowrap">{{ w.appliedAt }}</td></tr>{% endfor %}</tbody>
</table>{% else %}<p class="small">No writebacks yet.</p>{% endif %}
<h2 id="timers">Timers</h2>
{% if c.timers.size > 0 %}<table>
<caption class="vh">The case's timers</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Due</th><th scope="col">Fired</th><th scope="col">Cancelled</th></tr></thead>
<tbody>{% for t in c.timers %}<tr><td>{{ t.kind }}</td><td class="nowrap">{{ t.dueAt }}</td><td class="nowrap">{{ t.firedAt }}</td><td class="nowrap">{{ t.cancelledAt }}</td></tr>{% endfor %}</tbody>
</table>{% else %}<p class="small">No timers.</p>{% endif %}
<h2 id="audit">Audit story</h2>
{% if audit.unavailable %}${unavailable('audit.unavailable')}{% else %}<table>
<caption class="vh">The case's records in the audit store, in store order</caption>
<thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Outcome</th><th scope="col">Why</th><th scope="col">Service</th></tr></thead>
<tbody>{% for a in audit.records %}<tr><td>{{ a.seq }}</td><td class="nowrap">{{ a.at }}</td><td>{{ a.actor }}</td><td>{{ a.action }}</td><td>{{ a.outcome }}</td><td>{{ a.reason }}</td><td>{{ a.service }}</td></tr>{% endfor %}</tbody>
</table>{% if audit.more %}<p class="small">The first {{ audit.records.size }} records are shown.</p>{% endif %}{% endif %}`;

export const SLO = `<h1>Service level objectives</h1>
<p class="small">Source: {{ source }}.</p>
{% for n in notices %}${unavailable('n')}{% endfor %}
{% if charts.size > 0 %}<h2>Writeback error ratio and slow ratio over the last {{ rangeLabel }}</h2>
<div class="charts">{% for ch in charts %}<figure class="chart">
<figcaption>{{ ch.title }}</figcaption>
<div class="plot" data-series="{{ ch.data }}" role="img" aria-label="{{ ch.title }}: {{ ch.summary }}"></div>
<p class="small">{{ ch.summary }}</p>
</figure>{% endfor %}</div>{% endif %}
{% if budgets.size > 0 %}<h2>Error budget left</h2>
<table>
<caption class="vh">Error budget left per workflow and destination</caption>
<thead><tr><th scope="col">Workflow</th><th scope="col">Destination</th><th scope="col">Objective</th><th scope="col">Measured</th><th scope="col">Budget left</th></tr></thead>
<tbody>{% for b in budgets %}<tr><td>{{ b.workflow }}</td><td>{{ b.destination }}</td><td>{{ b.objective }}</td><td>{{ b.measured }}</td><td><strong>{{ b.left }}</strong></td></tr>{% endfor %}</tbody>
</table>{% endif %}
{% if writebacks.size > 0 %}<h2>Writebacks per workflow and destination ({{ window }})</h2>
<table>
<caption class="vh">Writeback figures from the reconciler</caption>
<thead><tr><th scope="col">Workflow</th><th scope="col">Destination</th><th scope="col">Settled</th><th scope="col">Applied</th><th scope="col">Success</th><th scope="col">p50 to applied</th><th scope="col">p95 to applied</th><th scope="col">Budget left (99.5%)</th></tr></thead>
<tbody>{% for w in writebacks %}<tr><td>{{ w.workflowId }}</td><td>{{ w.destination }}</td><td>{{ w.settled }}</td><td>{{ w.applied }}</td><td>{{ w.success }}</td><td>{{ w.p50 }}</td><td>{{ w.p95 }}</td><td>{{ w.left }}</td></tr>{% endfor %}</tbody>
</table>{% endif %}
{% if workflows.size > 0 %}<h2>Cases per workflow ({{ window }})</h2>
<table>
<caption class="vh">Case figures from the reconciler</caption>
<thead><tr><th scope="col">Workflow</th><th scope="col">Ended</th><th scope="col">Completed</th><th scope="col">Straight through</th><th scope="col">Rate</th><th scope="col">p95 trigger to completed</th></tr></thead>
<tbody>{% for w in workflows %}<tr><td>{{ w.workflowId }}</td><td>{{ w.ended }}</td><td>{{ w.completed }}</td><td>{{ w.straightThrough }}</td><td>{{ w.rate }}</td><td>{{ w.p95 }}</td></tr>{% endfor %}</tbody>
</table>{% endif %}
<h2>Breakers per destination</h2>
{% if breakers.size > 0 %}<table>
<caption class="vh">Circuit breaker state per destination</caption>
<thead><tr><th scope="col">Destination</th><th scope="col">State</th></tr></thead>
<tbody>{% for b in breakers %}<tr><td>{{ b.destination }}</td><td><strong>{{ b.state }}</strong></td></tr>{% endfor %}</tbody>
</table>{% else %}<p class="small">{{ breakersNote }}</p>{% endif %}
<h2>Backlog and oldest unknown</h2>
{% if backlog.size > 0 %}<table>
<caption class="vh">Open breaks and the oldest unknown outcome per destination</caption>
<thead><tr><th scope="col">Destination or ledger</th><th scope="col">Open breaks</th><th scope="col">Oldest open break</th><th scope="col">Oldest unknown outcome</th></tr></thead>
<tbody>{% for b in backlog %}<tr><td>{{ b.name }}</td><td>{{ b.openBreaks }}</td><td>{{ b.oldestBreak }}</td><td>{{ b.oldestUnknown }}</td></tr>{% endfor %}</tbody>
</table>{% else %}<p class="small">No backlog.</p>{% endif %}`;

export const BREAKS = `<h1>Reconciliation breaks and open alerts</h1>
<h2>Open alerts</h2>
<p class="small">Source: {{ alertSource }}.</p>
{% if alertNote %}${unavailable('alertNote')}{% endif %}
{% if alerts.size > 0 %}<table>
<caption class="vh">Alerts firing now</caption>
<thead><tr><th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">Since</th><th scope="col">Labels</th><th scope="col">Summary</th></tr></thead>
<tbody>{% for a in alerts %}<tr><td>{{ a.name }}</td><td>{{ a.severity }}</td><td class="nowrap">{{ a.since }}</td><td>{{ a.labels }}</td><td>{{ a.summary }}</td></tr>{% endfor %}</tbody>
</table>{% elsif alertNote == nil %}<p class="small">No alert is firing.</p>{% endif %}
<h2>Open reconciliation breaks</h2>
{% if breakNote %}${unavailable('breakNote')}{% elsif breaks.size > 0 %}<table>
<caption class="vh">Open breaks between what was requested and the cores' extracts</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Destination</th><th scope="col">Case</th><th scope="col">Detected</th><th scope="col">Command</th><th scope="col">Idempotency key</th></tr></thead>
<tbody>{% for b in breaks %}<tr><td>{{ b.kind }}</td><td>{{ b.destination }}</td><td>{% if b.caseId %}<a href="/cases/{{ b.caseId }}">{{ b.caseId }}</a>{% endif %}</td><td class="nowrap">{{ b.detectedAt }}</td><td>{{ b.command }}</td><td class="mono">{{ b.idempotencyKey }}</td></tr>{% endfor %}</tbody>
</table>{% else %}<p class="small">No open break.</p>{% endif %}`;
