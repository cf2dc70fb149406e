/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 */
import type { ServerResponse } from 'node:http';

const BAD_GATEWAY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';

/**
 * Answers as a gateway in front of the core does when the core's answer is lost on the way back: HTTP 502 with an
 * HTML page, nothing of the core's own protocol. The caller has already committed (or not) whatever it pretends.
 */
export function sendGatewayPage(res: ServerResponse): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(502, {
    'Content-Type': 'text/html',
    'Content-Length': String(Buffer.byteLength(BAD_GATEWAY_PAGE)),
  });
  res.end(BAD_GATEWAY_PAGE);
}
