// A verifying double of the Microsoft identity platform and Azure Resource Manager for the
// browser tests: apps and their uploaded certificates are set through /_double/*, client
// assertions are checked against those certificates (PS256, x5t#S256, aud, iss, exp), errors
// come back as AADSTS JSON, and subscriptions are paged with nextLink. Management groups: the
// tenant root with one group, Workloads, that holds Production. Federated credentials (added
// through /_double/federated, as a user adds one in the Azure portal) are verified as Entra
// does: issuer, subject and audience matched exactly, then the issuer's discovery document and
// JWKS fetched over HTTP, and the RS256 signature, kid and lifetime checked.
import { createServer } from 'node:http';
import { createHash, createPublicKey, verify, X509Certificate, constants } from 'node:crypto';

const port = Number(process.argv[2]);
const base = `http://127.0.0.1:${port}`;
const apps = new Map(); // appId -> { tenant, roles: [], certs: [X509Certificate], federated: [{ issuer, subject, audience }] }
const issued = new Set();
const subscriptions = [
  { subscriptionId: '11111111-0000-0000-0000-000000000001', displayName: 'Production', state: 'Enabled' },
  { subscriptionId: '11111111-0000-0000-0000-000000000002', displayName: 'Staging', state: 'Enabled' },
  { subscriptionId: '11111111-0000-0000-0000-000000000003', displayName: 'Legacy', state: 'Disabled' },
];

const groups = [
  { name: 'tenant-root', displayName: 'Tenant Root Group', parent: null },
  { name: 'mg-workloads', displayName: 'Workloads', parent: 'tenant-root' },
];
const placement = { '11111111-0000-0000-0000-000000000001': 'mg-workloads' };
const under = (group) => {
  const all = [group];
  for (let i = 0; i < all.length; i++) all.push(...groups.filter((g) => g.parent === all[i]).map((g) => g.name));
  return all;
};

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const aadsts = (res, code, description) =>
  json(res, 400, { error: 'invalid_client', error_description: `AADSTS${code}: ${description}`, error_codes: [code] });
const b64url = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
const body = (req) => new Promise((ok) => { let d = ''; req.on('data', (c) => (d += c)); req.on('end', () => ok(d)); });

const issue = (res, app, tenant) => {
  const access = `e30.${Buffer.from(JSON.stringify({ roles: app.roles, tid: tenant })).toString('base64url')}.double`;
  issued.add(access);
  return json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: access });
};

const fetchJson = async (url) => {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return answer.ok ? await answer.json() : null;
  } catch {
    return null;
  }
};

// [code, description] of Entra's refusal of a federated assertion, or null if it is accepted.
const federatedRefusal = async (app, header, claims, signed, signature, now) => {
  const { iss, sub, aud } = claims;
  const federated = app.federated.filter((f) => f.from <= now);
  if (federated.length === 0)
    return [70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'.`];
  const sameIssuer = federated.filter((f) => f.issuer === iss);
  if (sameIssuer.length === 0) return [700211, `No matching federated identity record found for presented assertion issuer '${iss}'.`];
  const credential = sameIssuer.find((f) => f.subject === sub);
  if (!credential) return [700213, `No matching federated identity record found for presented assertion subject '${sub}'.`];
  if (credential.audience !== aud) return [700212, `No matching federated identity record found for presented assertion audience '${aud}'.`];
  if (header.alg !== 'RS256') return [5002738, `Invalid JWT token. '${header.alg}' is not a supported signature algorithm.`];
  const discovery = await fetchJson(`${iss}/.well-known/openid-configuration`);
  const jwks = discovery?.issuer === iss ? await fetchJson(discovery.jwks_uri) : null;
  if (!jwks) return [50166, 'Request to External OIDC endpoint failed.'];
  const key = (jwks.keys ?? []).slice(0, 100).find((k) => k.kid === header.kid);
  if (!key) return [7000272, `The certificate with identifier ${header.kid} used to sign the federated credential could not be found in the metadata of identity provider ${iss}.`];
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' });
  if (!verify('sha256', Buffer.from(signed), publicKey, Buffer.from(signature, 'base64url'))) return [700027, 'Client assertion failed signature validation.'];
  if (!(claims.exp > now) || claims.nbf > now + 300 || !claims.jti || !claims.iat) return [700024, 'Client assertion is not within its valid time range.'];
  return null;
};

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  if (req.method === 'POST' && url.pathname === '/_double/app') {
    const { tenant, appId, roles } = JSON.parse(await body(req));
    apps.set(appId, { tenant, roles, certs: [], federated: [] });
    return json(res, 200, {});
  }
  if (req.method === 'POST' && url.pathname === '/_double/upload') {
    const { appId, pem } = JSON.parse(await body(req));
    apps.get(appId)?.certs.push(new X509Certificate(pem));
    return json(res, 200, {});
  }
  if (req.method === 'POST' && url.pathname === '/_double/federated') {
    // `delay`: seconds before Entra honours it (a new credential takes a while).
    const { appId, issuer, subject, audience, delay } = JSON.parse(await body(req));
    apps.get(appId)?.federated.push({ issuer, subject, audience, from: Date.now() / 1000 + (delay ?? 0) });
    return json(res, 200, {});
  }
  const token = url.pathname.match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/);
  if (req.method === 'POST' && token) {
    const tenant = token[1];
    const form = new URLSearchParams(await body(req));
    const appId = form.get('client_id');
    const app = apps.get(appId);
    if (![...apps.values()].some((a) => a.tenant === tenant)) return aadsts(res, 90002, `Tenant '${tenant}' not found.`);
    if (!app || app.tenant !== tenant) return aadsts(res, 700016, `Application '${appId}' was not found in the directory '${tenant}'.`);
    const [h, c, s] = (form.get('client_assertion') ?? '').split('.');
    const header = b64url(h);
    const claims = b64url(c);
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== appId) {
      const refusal = await federatedRefusal(app, header, claims, `${h}.${c}`, s, now);
      if (refusal) return aadsts(res, ...refusal);
      return issue(res, app, tenant);
    }
    if (header.alg !== 'PS256' || claims.aud !== `${base}/${tenant}/oauth2/v2.0/token` || claims.iss !== appId || claims.sub !== appId || !(claims.exp > now) || claims.exp - claims.nbf > 600)
      return aadsts(res, 700024, 'Client assertion has the wrong audience or is not within its valid time range.');
    const cert = app.certs.find((x) => createHash('sha256').update(x.raw).digest('base64url') === header['x5t#S256']);
    if (!cert) return aadsts(res, 700027, 'The certificate used to sign the client assertion is not registered on the application.');
    const ok = verify('sha256', Buffer.from(`${h}.${c}`), { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(s, 'base64url'));
    if (!ok) return aadsts(res, 700027, 'Client assertion failed signature validation.');
    return issue(res, app, tenant);
  }
  if (req.method === 'GET' && url.pathname === '/subscriptions') {
    if (!issued.has((req.headers.authorization ?? '').replace('Bearer ', ''))) return json(res, 401, { error: { code: 'InvalidAuthenticationToken' } });
    const skip = Number(url.searchParams.get('skip') ?? 0);
    const page = { value: subscriptions.slice(skip, skip + 2) };
    if (skip + 2 < subscriptions.length) page.nextLink = `${base}/subscriptions?api-version=2022-12-01&skip=${skip + 2}`;
    return json(res, 200, page);
  }
  if (req.method === 'GET' && url.pathname.startsWith('/providers/Microsoft.Management/managementGroups')) {
    if (!issued.has((req.headers.authorization ?? '').replace('Bearer ', ''))) return json(res, 401, { error: { code: 'InvalidAuthenticationToken' } });
    const descendants = url.pathname.match(/^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)\/descendants$/);
    if (!descendants) return json(res, 200, { value: groups.map((g) => ({ name: g.name, properties: { displayName: g.displayName } })) });
    const inside = under(descendants[1]);
    const subs = subscriptions.filter((s) => inside.includes(placement[s.subscriptionId]));
    return json(res, 200, { value: subs.map((s) => ({ type: 'Microsoft.Management/managementGroups/subscriptions', name: s.subscriptionId })) });
  }
  // Microsoft Graph: one read of access review definitions needs the AccessReview.Read.All role.
  if (req.method === 'GET' && url.pathname === '/v1.0/identityGovernance/accessReviews/definitions') {
    const bearer = (req.headers.authorization ?? '').replace('Bearer ', '');
    if (!issued.has(bearer)) return json(res, 401, { error: { code: 'InvalidAuthenticationToken' } });
    const claims = JSON.parse(Buffer.from(bearer.split('.')[1], 'base64url').toString());
    if (!claims.roles.includes('AccessReview.Read.All')) return json(res, 403, { error: { code: 'Authorization_RequestDenied' } });
    return json(res, 200, { value: [] });
  }
  if (url.pathname === '/healthz') return json(res, 200, {});
  json(res, 404, {});
}).listen(port, '127.0.0.1');
