/**
 * The one stylesheet, served from /assets (the CSP allows style-src 'self' only, so no inline style anywhere).
 * Mobile first, readable at 320 px, system fonts, AA contrast (text #0b0c0c on #fff, links #1d4ed8, errors #b91c1c),
 * visible focus, targets of at least 44 px.
 */
import { createHash } from 'node:crypto';

export const APP_CSS = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1.0625rem;line-height:1.5;color:#0b0c0c;background:#fff}
.skip{position:absolute;left:-9999px;top:0;padding:.5rem 1rem;background:#fd0;color:#0b0c0c}
.skip:focus{left:0;z-index:10}
.bar{background:#0b3d91;color:#fff;padding:.75rem 1rem}
.brand{font-weight:700}
main{display:block;max-width:40rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
a{color:#1d4ed8}
a:focus,button:focus,input:focus,textarea:focus,select:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:0 0 0 5px #0b0c0c}
.field{margin:0 0 1.25rem}
.field--error{border-left:4px solid #b91c1c;padding-left:.75rem}
label{display:block;font-weight:700;margin-bottom:.25rem}
.hint{color:#4b5563;margin:0 0 .25rem}
.error{color:#b91c1c;font-weight:700;margin:0 0 .25rem}
input[type=text],input[type=email],input[type=tel],input[type=date],input[type=number],input[type=file],select,textarea{display:block;width:100%;max-width:100%;min-height:44px;padding:.5rem;font:inherit;border:2px solid #0b0c0c;border-radius:0;background:#fff;color:#0b0c0c}
input[aria-invalid=true],textarea[aria-invalid=true]{border-color:#b91c1c}
.button{display:inline-block;min-height:44px;min-width:44px;padding:.6rem 1.25rem;font:inherit;font-weight:700;color:#fff;background:#00703c;border:0;border-bottom:2px solid #002d18;cursor:pointer;text-decoration:none}
.button--secondary{color:#0b0c0c;background:#e5e7eb;border-bottom-color:#6b7280}
form{margin:0 0 1rem}
.action{border-top:1px solid #d1d5db;padding-top:.5rem}
.error-summary{border:4px solid #b91c1c;padding:1rem;margin:0 0 1.5rem}
.error-summary h2{margin-top:0}
.error-summary a{color:#b91c1c;font-weight:700}
.notice{border-left:4px solid #1d4ed8;padding-left:.75rem}
.small{font-size:.9375rem;color:#374151}
.foot{max-width:40rem;margin:2rem auto 0;padding:1rem;border-top:1px solid #d1d5db;font-size:.9375rem;color:#374151}
@media (min-width:40rem){h1{font-size:2rem}main{padding:1.5rem}}
`;

/** A strong validator: the stylesheet changes only with a deployment. */
export const APP_CSS_ETAG = `"${createHash('sha256').update(APP_CSS).digest('hex').slice(0, 16)}"`;
