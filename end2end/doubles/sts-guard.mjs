// The trust policy moto does not evaluate, in front of moto's STS: moto lets anyone assume any
// role, while a role made by the Xops template can only be assumed with an External ID
// (`sts:ExternalId`). This guard refuses AssumeRole without one, as AWS would for such a role,
// and passes everything else to moto unchanged. A role can be opened through
// POST /_guard/open {"role": ARN} to behave like a role without that condition (the confused
// deputy the portal must refuse). POST /_guard/deny {"role": ARN} makes a role refuse every
// AssumeRole (a member account the StackSet has not reached); /_guard/allow undoes it.
// POST /_guard/hold {"role": ARN} keeps that role's AssumeRole waiting until /_guard/release,
// so a test can see a run while it is going.
// Usage: node sts-guard.mjs PORT MOTO_URL
import { createServer, request } from 'node:http';

const port = Number(process.argv[2]);
const moto = new URL(process.argv[3]);
const open = new Set();
const deny = new Set();
const hold = new Set();
let held = [];

const read = (req) =>
  new Promise((ok) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
  });

const denied = (res, role) => {
  res.writeHead(403, { 'content-type': 'text/xml' });
  res.end(
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
      `<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole on resource: ${role}` +
      '</Message></Error><RequestId>guard-1</RequestId></ErrorResponse>',
  );
};

createServer(async (req, res) => {
  const body = await read(req);
  if (req.url === '/_guard/healthz') {
    res.end('ok');
    return;
  }
  if (req.method === 'POST' && req.url === '/_guard/open') {
    open.add(JSON.parse(body.toString('utf8')).role);
    res.end('{}');
    return;
  }
  if (req.method === 'POST' && req.url.startsWith('/_guard/')) {
    const role = body.length ? JSON.parse(body.toString('utf8')).role : undefined;
    if (req.url === '/_guard/deny') deny.add(role);
    if (req.url === '/_guard/allow') deny.delete(role);
    if (req.url === '/_guard/hold') hold.add(role);
    if (req.url === '/_guard/release') {
      hold.clear();
      held.forEach((go) => go());
      held = [];
    }
    res.end('{}');
    return;
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const role = form.get('RoleArn');
  if (form.get('Action') === 'AssumeRole' && hold.has(role)) {
    await new Promise((go) => held.push(go));
  }
  if (form.get('Action') === 'AssumeRole' && (deny.has(role) || (!form.get('ExternalId') && !open.has(role)))) {
    denied(res, role);
    return;
  }
  const forward = request(
    { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  forward.end(body);
}).listen(port, '127.0.0.1');
