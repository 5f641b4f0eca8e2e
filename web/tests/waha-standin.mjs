// A WAHA stand-in for the browser tests (scripts/web-test.sh starts it and points
// ROMS_WAHA_URL at it): the session is WORKING, every send is accepted with a fresh engine id
// ("true_<chat>_<id>", the form message.ack webhooks carry), and the test can read what was
// sent. Only the calls consumers/whatsapp/waha.h makes:
//   GET  /api/sessions/{session}                      → {"name","status":"WORKING"}
//   POST /api/sendText | /api/sendImage | /api/sendFile → {"id":"true_<chat>_<hex>"}
//   GET  /api/{session}/chats/{chat}/messages         → []   (nothing to find after a crash)
//   GET  /api/{session}/auth/qr                       → 404  (already paired)
// Test-only:
//   GET  /_sent                                       → [{path, body, id, at}] in order
//
//   node tests/waha-standin.mjs --port 3999
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1] || 3999);
const sent = [];

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let m;
    if (req.method === 'GET' && path === '/_sent') return json(res, 200, sent);
    if (req.method === 'GET' && (m = /^\/api\/sessions\/([^/]+)$/.exec(path))) return json(res, 200, { name: m[1], status: 'WORKING' });
    if (req.method === 'POST' && /^\/api\/send(Text|Image|File)$/.test(path)) {
      let body = {};
      try {
        body = JSON.parse(raw || '{}');
      } catch {
        return json(res, 400, { message: 'bad JSON' });
      }
      const chat = String(body.chatId ?? '');
      const id = `true_${chat}_${randomBytes(10).toString('hex').toUpperCase()}`;
      sent.push({ path, body, id, at: new Date().toISOString() });
      return json(res, 201, { id, timestamp: Math.floor(Date.now() / 1000), fromMe: true, to: chat, body: body.text ?? body.caption ?? '' });
    }
    if (req.method === 'GET' && /^\/api\/[^/]+\/chats\/[^/]+\/messages$/.test(path)) return json(res, 200, []);
    return json(res, 404, { message: `no ${req.method} ${path} here` });
  });
}).listen(port, '127.0.0.1', () => console.log(`WAHA stand-in at http://127.0.0.1:${port}/`));
