/**
 * The console's static assets, served from /assets (the CSP allows our own origin only, no CDN): its stylesheet, the
 * chart script, and uPlot (MIT, from node_modules) read once at start.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const CONSOLE_CSS = `*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:1rem;line-height:1.5;color:#0b0c0c;background:#fff}
.skip{position:absolute;left:-9999px;top:0;padding:.5rem 1rem;background:#fd0;color:#0b0c0c}
.skip:focus{left:0;z-index:10}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;background:#0b3d91;color:#fff;padding:.5rem 1rem}
.brand{font-weight:700}
.nav{display:flex;gap:1rem;list-style:none;margin:0;padding:0}
.nav a{color:#fff;font-weight:700}
.nav a[aria-current=page]{text-decoration:underline;text-decoration-thickness:3px}
.signout{margin:0 0 0 auto;display:flex;align-items:center;gap:.75rem}
.who{font-size:.9375rem}
main{display:block;max-width:88rem;margin:0 auto;padding:1rem 1.5rem}
main:focus{outline:none}
h1{font-size:1.75rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:.75rem 0 .25rem}
a{color:#1d4ed8}
a:focus,button:focus,input:focus,textarea:focus,select:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:0 0 0 5px #0b0c0c}
.field{margin:0 0 1rem}
label,legend{display:block;font-weight:700;margin-bottom:.25rem}
input[type=text],input[type=password],select,textarea{display:block;width:100%;max-width:28rem;min-height:40px;padding:.4rem;font:inherit;border:2px solid #0b0c0c;border-radius:0;background:#fff;color:#0b0c0c}
textarea{max-width:40rem}
input[aria-invalid=true]{border-color:#b91c1c}
.button{display:inline-block;min-height:40px;min-width:44px;padding:.45rem 1rem;font:inherit;font-weight:700;color:#fff;background:#00703c;border:0;border-bottom:2px solid #002d18;cursor:pointer;text-decoration:none}
.button--secondary{color:#0b0c0c;background:#e5e7eb;border-bottom-color:#6b7280}
.narrow{max-width:28rem}
.filters{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end;margin:0 0 1rem}
.filters .field{margin:0;min-width:12rem}
.error-summary{border:4px solid #b91c1c;padding:1rem;margin:0 0 1.5rem}
.error-summary h2{margin-top:0}
.notice{border-left:4px solid #1d4ed8;padding:.25rem .75rem;margin:.5rem 0 1rem;background:#eef2ff}
.small{font-size:.9375rem;color:#374151}
.queue{list-style:none;margin:0;padding:0}
.item{border:1px solid #d1d5db;border-left:6px solid #6b7280;padding:.5rem 1rem 1rem;margin:0 0 1rem}
.priority-urgent{border-left-color:#b91c1c}
.priority-high{border-left-color:#b45309}
.item h2{font-size:1.125rem;margin:.25rem 0}
.tag{display:inline-block;padding:0 .4rem;background:#0b0c0c;color:#fff;font-size:.8125rem;text-transform:uppercase;vertical-align:middle}
.kv{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.25rem 1.5rem;margin:0 0 .5rem}
.kv div{display:flex;gap:.5rem}
.kv dt{font-weight:700}
.kv dd{margin:0;overflow-wrap:anywhere}
.summary{margin-bottom:1rem}
fieldset{border:1px solid #d1d5db;padding:.5rem 1rem;margin:.75rem 0 0}
.radios{display:flex;gap:1.5rem;margin:0 0 .75rem}
.radio{display:flex;align-items:center;gap:.4rem}
.radio label{margin:0;font-weight:400}
.radio input{width:20px;height:20px}
table{border-collapse:collapse;width:100%;margin:0 0 1rem;font-size:.9375rem}
th,td{border-bottom:1px solid #d1d5db;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f4f6}
.nowrap{white-space:nowrap}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8125rem}
.superseded{color:#4b5563}
.vh{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(40rem,1fr));gap:1rem}
.chart{margin:0;border:1px solid #d1d5db;padding:.5rem}
.chart figcaption{font-weight:700}
.plot{min-height:220px}
`;

/**
 * Draws each `.plot` with uPlot from its data-series attribute: `{"x":[unix seconds…],"series":[{"label","values"}]}`.
 * No inline script (the CSP forbids it); without JavaScript the figures' text summaries remain.
 */
export const CHARTS_JS = `(function () {
  'use strict';
  var colours = ['#1d4ed8', '#b91c1c', '#00703c', '#b45309', '#6d28d9', '#0e7490'];
  function draw(el) {
    var spec;
    try { spec = JSON.parse(el.getAttribute('data-series') || '{}'); } catch (e) { return; }
    if (!spec.x || !spec.series || typeof uPlot === 'undefined') return;
    var series = [{}].concat(spec.series.map(function (s, i) {
      return { label: s.label, stroke: colours[i % colours.length], width: 2, value: function (u, v) { return v == null ? '–' : (v * 100).toFixed(2) + '%'; } };
    }));
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    var width = Math.max(320, el.clientWidth || 600);
    new uPlot({ width: width, height: 200, series: series, axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return (v * 100).toFixed(1) + '%'; }); } }] }, data, el);
  }
  function init() { Array.prototype.forEach.call(document.querySelectorAll('.plot[data-series]'), draw); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
`;

/** uPlot's dist folder (its main entry lives there). */
const uplotDist = dirname(require.resolve('uplot'));

export interface Asset {
  body: string;
  type: string;
  etag: string;
}

const asset = (body: string, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`,
});

export const ASSETS: Record<string, Asset> = {
  'console.css': asset(CONSOLE_CSS, 'text/css; charset=utf-8'),
  'charts.js': asset(CHARTS_JS, 'text/javascript; charset=utf-8'),
  'uPlot.iife.min.js': asset(
    readFileSync(join(uplotDist, 'uPlot.iife.min.js'), 'utf8'),
    'text/javascript; charset=utf-8',
  ),
  'uPlot.min.css': asset(readFileSync(join(uplotDist, 'uPlot.min.css'), 'utf8'), 'text/css; charset=utf-8'),
};
