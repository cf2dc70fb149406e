/**
 * The two pages the unsubscribe URL answers, both static: no value of the request is in them. The form has no
 * `action`, so it posts the one-click body to the URL the page was fetched from (the customer's own link), which the
 * Content-Security-Policy's `form-action 'self'` allows; there is no script.
 */
const page = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title></head>
<body>
${body}
</body>
</html>
`;

/** GET: asks the customer to confirm; fetching it (as mail scanners do) unsubscribes nobody. */
export const CONFIRM_PAGE = page(
  'Unsubscribe',
  `<h1>Unsubscribe</h1>
<p>Press the button to stop these emails. You will get no more messages about this on any channel.</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>`,
);

/** POST: the opt-out is recorded (or was already). */
export const DONE_PAGE = page(
  'Unsubscribed',
  `<h1>You are unsubscribed</h1>
<p>You will get no more messages about this on any channel.</p>`,
);
