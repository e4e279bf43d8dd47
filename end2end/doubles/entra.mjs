// A verifying double of the Microsoft identity platform, Azure Resource Manager and Microsoft
// Graph, the one the Rust tests (tests/integration/common/entra.rs), the browser tests and the
// benchmark all run. What a user sets up in the Azure portal is set through /_double/*: apps
// and their roles, uploaded certificates, federated credentials (honoured after a delay, as
// Entra takes a while), the tenant's subscriptions and management groups. Client assertions
// are verified as Entra does: a certificate's (PS256, x5t#S256, aud, iss, sub, exp) against the
// uploaded certificates; any other issuer's against the app's federated credentials (issuer,
// subject and audience matched exactly, then the issuer's discovery document and JWKS fetched
// over HTTP, the RS256 signature, kid and lifetime checked). Refusals carry Entra's AADSTS
// codes; ARM pages its lists with nextLink. It starts with the browser tests' directory: three
// subscriptions, and the tenant root with one group, Workloads, that holds Production.
import { createServer } from 'node:http';
import { createHash, createPublicKey, verify, X509Certificate, constants } from 'node:crypto';

const port = Number(process.argv[2]);
const base = `http://127.0.0.1:${port}`;
const tenants = new Map(); // tenant -> Set(appId)
const apps = new Map(); // appId -> { roles: [], certs: [X509Certificate], federated: [{ issuer, subject, audience, from }] }
const issued = new Set();
let subscriptions = [
  { id: '11111111-0000-0000-0000-000000000001', name: 'Production', state: 'Enabled' },
  { id: '11111111-0000-0000-0000-000000000002', name: 'Staging', state: 'Enabled' },
  { id: '11111111-0000-0000-0000-000000000003', name: 'Legacy', state: 'Disabled' },
];
let groups = [
  { id: 'tenant-root', name: 'Tenant Root Group', parent: '' },
  { id: 'mg-workloads', name: 'Workloads', parent: 'tenant-root' },
];
let placement = { '11111111-0000-0000-0000-000000000001': 'mg-workloads' };
const accessReviewsRefused = new Set(); // tenants without an Entra ID Governance licence
const pageSize = 2;
let hangUps = 0; // the next requests whose connection is closed unanswered

const app = (appId) => {
  if (!apps.has(appId)) apps.set(appId, { roles: [], certs: [], federated: [] });
  return apps.get(appId);
};
const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const aadsts = (res, code, error, description) =>
  json(res, 400, {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: double`,
    error_codes: [code],
    timestamp: '2026-11-22 00:00:00Z',
  });
const part = (s) => {
  try {
    return JSON.parse(Buffer.from(s ?? '', 'base64url').toString('utf8'));
  } catch {
    return null;
  }
};
const body = (req) => new Promise((ok) => { let d = ''; req.on('data', (c) => (d += c)); req.on('end', () => ok(d)); });
const bearer = (req) => (req.headers.authorization ?? '').replace(/^Bearer /, '');
const fetchJson = async (url) => {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return answer.ok ? await answer.json() : null;
  } catch {
    return null;
  }
};

// What the tests and the benchmark set, as a user would in the Azure portal.
const controls = {
  app: ({ tenant, appId, roles }) => {
    if (!tenants.has(tenant)) tenants.set(tenant, new Set());
    tenants.get(tenant).add(appId);
    app(appId).roles = roles ?? [];
  },
  roles: ({ appId, roles }) => { app(appId).roles = roles; },
  upload: ({ appId, pem }) => { app(appId).certs.push(new X509Certificate(pem)); },
  'remove-certificates': ({ appId }) => { app(appId).certs = []; },
  // `delay`: seconds before Entra honours it.
  federated: ({ appId, issuer, subject, audience, delay }) => {
    app(appId).federated.push({ issuer, subject, audience, from: Date.now() / 1000 + (delay ?? 0) });
  },
  'remove-federated': ({ appId }) => { app(appId).federated = []; },
  subscriptions: ({ subscriptions: list }) => { subscriptions = list; },
  groups: ({ groups: list }) => { groups = list; },
  place: ({ subscription, group }) => {
    if (group) placement[subscription] = group;
    else delete placement[subscription];
  },
  // An empty directory for a test that sets up its own.
  empty: () => { subscriptions = []; groups = []; placement = {}; },
  'access-reviews': ({ tenant, refused }) => {
    if (refused) accessReviewsRefused.add(tenant);
    else accessReviewsRefused.delete(tenant);
  },
  'hang-up': ({ next }) => { hangUps = next; },
};

// [code, error, description] of Entra's refusal of a certificate-signed assertion, or null.
const certificateRefusal = (tenant, appId, header, claims, signed, signature, now) => {
  const timely = claims.exp > now && claims.exp - (claims.nbf ?? 0) <= 600;
  if (header.alg !== 'PS256' || claims.aud !== `${base}/${tenant}/oauth2/v2.0/token` || claims.iss !== appId || claims.sub !== appId || !claims.jti || !timely)
    return [700024, 'invalid_client', 'Client assertion is not within its valid time range or has the wrong audience.'];
  const cert = app(appId).certs.find((x) => createHash('sha256').update(x.raw).digest('base64url') === header['x5t#S256']);
  if (!cert) return [700027, 'invalid_client', 'The certificate with identifier used to sign the client assertion is not registered on application.'];
  const ok = verify('sha256', Buffer.from(signed), { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(signature, 'base64url'));
  return ok ? null : [700027, 'invalid_client', 'Client assertion failed signature validation.'];
};

// [code, error, description] of Entra's refusal of another issuer's assertion, or null.
const federatedRefusal = async (appId, header, claims, signed, signature, now) => {
  const { iss, sub, aud } = claims;
  const federated = app(appId).federated.filter((f) => f.from <= now);
  if (federated.length === 0)
    return [70021, 'invalid_client', `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'.`];
  const sameIssuer = federated.filter((f) => f.issuer === iss);
  if (sameIssuer.length === 0) return [700211, 'invalid_client', `No matching federated identity record found for presented assertion issuer '${iss}'.`];
  const credential = sameIssuer.find((f) => f.subject === sub);
  if (!credential) return [700213, 'invalid_client', `No matching federated identity record found for presented assertion subject '${sub}'.`];
  if (credential.audience !== aud) return [700212, 'invalid_client', `No matching federated identity record found for presented assertion audience '${aud}'.`];
  if (header.alg !== 'RS256') return [5002738, 'invalid_client', `Invalid JWT token. '${header.alg}' is not a supported signature algorithm.`];
  const discovery = await fetchJson(`${iss}/.well-known/openid-configuration`);
  const jwks = discovery?.issuer === iss ? await fetchJson(discovery.jwks_uri) : null;
  if (!jwks) return [50166, 'invalid_request', 'Request to External OIDC endpoint failed.'];
  const key = (jwks.keys ?? []).slice(0, 100).find((k) => k.kid === header.kid);
  if (!key) return [7000272, 'invalid_client', `The certificate with identifier ${header.kid} used to sign the federated credential could not be found in the metadata of identity provider ${iss}.`];
  let ok = false;
  try {
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' });
    ok = key.kty === 'RSA' && verify('sha256', Buffer.from(signed), publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) return [700027, 'invalid_client', 'Client assertion failed signature validation.'];
  if (!Number.isInteger(claims.exp) || !Number.isInteger(claims.nbf) || !Number.isInteger(claims.iat) || !claims.jti) return [50027, 'invalid_request', 'JWT token is invalid or malformed.'];
  if (claims.exp <= now || claims.nbf > now + 300) return [700024, 'invalid_client', 'Client assertion is not within its valid time range.'];
  return null;
};

const token = async (req, res, tenant) => {
  const form = new URLSearchParams(await body(req));
  const appId = form.get('client_id') ?? '';
  if (!tenants.has(tenant)) return aadsts(res, 90002, 'invalid_request', `Tenant '${tenant}' not found.`);
  if (!tenants.get(tenant).has(appId)) return aadsts(res, 700016, 'unauthorized_client', `Application with identifier '${appId}' was not found in the directory '${tenant}'.`);
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || form.get('grant_type') !== 'client_credentials')
    return aadsts(res, 7000215, 'invalid_client', 'Invalid client secret provided.');
  const [h, c, s, ...rest] = (form.get('client_assertion') ?? '').split('.');
  const header = part(h);
  const claims = part(c);
  if (!header || !claims || s === undefined || rest.length) return aadsts(res, 50027, 'invalid_request', 'JWT token is invalid or malformed.');
  const now = Math.floor(Date.now() / 1000);
  // An assertion the app signed itself names the app as its issuer; any other issuer must be
  // trusted by one of the app's federated credentials.
  const refusal = claims.iss === appId
    ? certificateRefusal(tenant, appId, header, claims, `${h}.${c}`, s, now)
    : await federatedRefusal(appId, header, claims, `${h}.${c}`, s, now);
  if (refusal) return aadsts(res, ...refusal);
  const payload = { roles: app(appId).roles, tid: tenant, appid: appId, aud: form.get('scope') };
  const access = `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.double`;
  issued.add(access);
  return json(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: access });
};

// One page of `items` (from `skip`, `pageSize` of them) with a nextLink to `path`.
const page = (res, url, items, path, apiVersion) => {
  const skip = Number(url.searchParams.get('skip') ?? 0);
  const answer = { value: items.slice(skip, skip + pageSize) };
  if (skip + pageSize < items.length) answer.nextLink = `${base}${path}?api-version=${apiVersion}&skip=${skip + pageSize}`;
  return json(res, 200, answer);
};
const unauthorized = (res) => json(res, 401, { error: { code: 'InvalidAuthenticationToken' } });
const groupPath = (id) => `/providers/Microsoft.Management/managementGroups/${id}`;

const arm = (req, res, url) => {
  if (url.pathname === '/subscriptions') {
    if (!issued.has(bearer(req)) || url.searchParams.get('api-version') !== '2022-12-01') return unauthorized(res);
    const items = subscriptions.map((s) => ({ id: `/subscriptions/${s.id}`, subscriptionId: s.id, displayName: s.name, state: s.state }));
    return page(res, url, items, '/subscriptions', '2022-12-01');
  }
  if (!issued.has(bearer(req)) || url.searchParams.get('api-version') !== '2021-04-01') return unauthorized(res);
  if (url.pathname === '/providers/Microsoft.Management/managementGroups') {
    const items = groups.map((g) => ({ id: groupPath(g.id), type: 'Microsoft.Management/managementGroups', name: g.id, properties: { displayName: g.name } }));
    return page(res, url, items, url.pathname, '2021-04-01');
  }
  const descendants = url.pathname.match(/^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)\/descendants$/);
  if (!descendants) return json(res, 404, {});
  const group = descendants[1];
  if (!groups.some((g) => g.id === group)) return json(res, 403, { error: { code: 'AuthorizationFailed' } });
  const under = [group];
  for (let i = 0; i < under.length; i++) under.push(...groups.filter((g) => g.parent === under[i]).map((g) => g.id));
  const items = [
    ...groups.filter((g) => g.id !== group && under.includes(g.id)).map((g) => ({
      type: 'Microsoft.Management/managementGroups', name: g.id, properties: { displayName: g.name, parent: { id: groupPath(g.parent) } },
    })),
    ...subscriptions.filter((s) => under.includes(placement[s.id])).map((s) => ({
      type: 'Microsoft.Management/managementGroups/subscriptions', name: s.id, properties: { displayName: s.name, parent: { id: groupPath(placement[s.id]) } },
    })),
  ];
  return page(res, url, items, url.pathname, '2021-04-01');
};

// Microsoft Graph: one read of access review definitions needs the AccessReview.Read.All role,
// in a tenant that allows them.
const accessReviews = (req, res, url) => {
  if (!issued.has(bearer(req))) return unauthorized(res);
  const claims = part(bearer(req).split('.')[1]);
  if (!claims.roles.includes('AccessReview.Read.All') || accessReviewsRefused.has(claims.tid))
    return json(res, 403, { error: { code: 'Authorization_RequestDenied' } });
  if (url.searchParams.get('$top') !== '1') return json(res, 400, { error: { code: 'one definition is enough to prove access' } });
  return json(res, 200, { value: [] });
};

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const control = url.pathname.match(/^\/_double\/([a-z-]+)$/);
  if (req.method === 'POST' && control && controls[control[1]]) {
    controls[control[1]](JSON.parse((await body(req)) || '{}'));
    return json(res, 200, {});
  }
  if (url.pathname === '/healthz') return json(res, 200, {});
  // What a client sees when a server ends an idle keep-alive connection as it is reused.
  if (hangUps > 0) {
    hangUps -= 1;
    return req.socket.destroy();
  }
  const tokenPath = url.pathname.match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/);
  if (req.method === 'POST' && tokenPath) return token(req, res, tokenPath[1]);
  if (req.method === 'GET' && (url.pathname === '/subscriptions' || url.pathname.startsWith('/providers/Microsoft.Management/managementGroups')))
    return arm(req, res, url);
  if (req.method === 'GET' && url.pathname === '/v1.0/identityGovernance/accessReviews/definitions') return accessReviews(req, res, url);
  json(res, 404, {});
}).listen(port, '127.0.0.1');
