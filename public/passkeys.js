// Passkeys: the browser's half of a WebAuthn ceremony, for the few pages that offer one.
// A button `data-passkey="<server function>"` inside a form asks that server function for the
// ceremony's options, lets the browser create (`data-ceremony="create"`) or use a passkey,
// puts the answer in the form's `credential` field and sends the form. The server checks the
// answer as it checks any form, and answers with the page the form leads to, or its error.
const friendly = (text) => {
  try {
    return JSON.parse(text).message || 'Something went wrong. Try again.';
  } catch {
    return 'Something went wrong. Try again.';
  }
};

async function ceremonyOptions(endpoint) {
  const res = await fetch(`/api/${endpoint}`, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: '',
    credentials: 'same-origin',
  });
  const text = await res.text();
  if (!res.ok) throw new Error(friendly(text));
  // A server function's String, as JSON: the options' own JSON inside.
  return JSON.parse(JSON.parse(text));
}

// With this script running, the passkey buttons appear and the notes saying that passkeys need
// JavaScript go.
for (const button of document.querySelectorAll('button[data-passkey]')) button.hidden = false;
for (const note of document.querySelectorAll('[data-passkey-nojs]')) note.hidden = true;

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-passkey]');
  if (!button || !button.form) return;
  event.preventDefault();
  const form = button.form;
  const status = form.querySelector('[data-passkey-status]');
  const say = (text) => {
    if (status) status.textContent = text;
  };
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
    say('This browser cannot use passkeys. Use your password and an authenticator code instead.');
    return;
  }
  // A step-up's passkey answers in the field it stands beside (its form's code); other forms
  // must be filled in first.
  const field = button.dataset.passkeyField || 'credential';
  if (field === 'credential' && !form.reportValidity()) return;
  button.disabled = true;
  say('Waiting for your passkey…');
  try {
    const options = await ceremonyOptions(button.dataset.passkey);
    const credential =
      button.dataset.ceremony === 'create'
        ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey) })
        : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey) });
    form.elements[field].value = JSON.stringify(credential.toJSON());
    form.submit();
  } catch (err) {
    say(err && err.name === 'NotAllowedError' ? 'The passkey request was cancelled or timed out. Try again.' : err.message);
    button.disabled = false;
  }
});
