// Customer page: the repair request form and, after submit, the reference and private tracking link.
import { channelChoices, lostLinkForm } from './comms';
import { ApiError, Q, request } from '../api';
import type { Ticket } from '../api';
import { h, replaceChildren, setTitle } from '../dom';
import { PHOTO_CAPTION_MAX, PHOTO_TYPES, SUBMIT_MAX_PHOTOS, prepare, progressRow, sizeProblem, typeProblem, uploadPhoto } from '../photos';

interface ChosenPhoto {
  file: Blob;
  name: string;
  preview: string;
  caption: HTMLInputElement;
}

interface FieldDef {
  path: string;
  label: string;
  type?: string;
  required?: boolean;
  autocomplete?: string;
  hint?: string;
  inputmode?: string;
  multiline?: boolean;
}

const VEHICLE: FieldDef[] = [
  { path: 'vehicle.make', label: 'Make', required: true, hint: 'e.g. Toyota' },
  { path: 'vehicle.model', label: 'Model', required: true, hint: 'e.g. Corolla' },
  { path: 'vehicle.year', label: 'Year', inputmode: 'numeric' },
  { path: 'vehicle.licensePlate', label: 'Licence plate' },
  { path: 'vehicle.vin', label: 'VIN', hint: '17 characters, on the registration papers' },
  { path: 'vehicle.mileage', label: 'Mileage', inputmode: 'numeric' },
];
const PROBLEM: FieldDef[] = [
  { path: 'description', label: 'What is the problem?', required: true, multiline: true },
];
const CONTACT: FieldDef[] = [
  { path: 'customer.name', label: 'Your name', required: true, autocomplete: 'name' },
  { path: 'customer.email', label: 'E-mail', type: 'email', autocomplete: 'email' },
  { path: 'customer.phone', label: 'Phone', type: 'tel', autocomplete: 'tel', hint: 'With country code, e.g. +1 415 555 0123' },
];
const ALL = [...VEHICLE, ...PROBLEM, ...CONTACT];
const INT_FIELDS = new Set(['vehicle.year', 'vehicle.mileage']);

const fieldId = (path: string) => `f-${path.replace('.', '-')}`;

/** The field a server message is about: ValidationError messages start with the field path. */
export function fieldForMessage(message: string): string | undefined {
  const normalized = message.replace(/\binput\./g, '');
  const match = /\b(vehicle\.(?:make|model|year|vin|licensePlate|mileage)|customer\.(?:name|email|phone)|description)\b/.exec(
    normalized,
  );
  if (match) return match[1];
  // AppSync's own scalar errors (no errorType) name the type, not the field.
  if (/phone/i.test(message)) return 'customer.phone';
  if (/e-?mail/i.test(message)) return 'customer.email';
  if (/^customer\b/.test(normalized)) return 'customer.email';
  return undefined;
}

export function newClientToken(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `offerSms`: the stage texts customers (AppConfig.customerSms); otherwise only e-mail is offered. */
export function renderSubmit(root: HTMLElement, offerSms: boolean): void {
  setTitle('Report a problem');
  // One idempotency key per form fill: a double click or a retry returns the same ticket.
  const clientToken = newClientToken();
  let sending = false;

  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const errors = new Map<string, HTMLElement>();

  const field = (def: FieldDef) => {
    const id = fieldId(def.path);
    const errorEl = h('p', { id: `${id}-error`, className: 'field-error', hidden: true });
    const hintEl = def.hint ? h('p', { id: `${id}-hint`, className: 'hint' }, def.hint) : null;
    const describedBy = [hintEl ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
    const control = def.multiline
      ? h('textarea', { id, name: def.path, rows: 5, required: def.required, 'aria-describedby': describedBy })
      : h('input', {
          id,
          name: def.path,
          type: def.type ?? 'text',
          required: def.required,
          autocomplete: def.autocomplete ?? 'off',
          inputmode: def.inputmode,
          'aria-describedby': describedBy,
        });
    control.addEventListener('input', () => setError(def.path, null));
    inputs.set(def.path, control);
    errors.set(def.path, errorEl);
    return h(
      'div',
      { className: `field${def.multiline ? ' wide' : ''}` },
      h('label', { for: id }, def.label, def.required ? h('span', { className: 'req' }, ' (required)') : null),
      hintEl,
      control,
      errorEl,
    );
  };

  const setError = (path: string, message: string | null) => {
    const el = errors.get(path);
    const input = inputs.get(path);
    if (!el || !input) return;
    el.textContent = message ?? '';
    el.hidden = !message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };

  // Photos: up to SUBMIT_MAX_PHOTOS, checked (type, size after resizing) and previewed before sending.
  const chosen: ChosenPhoto[] = [];
  const photoList = h('ul', { className: 'photo-previews', 'data-testid': 'photo-previews' });
  const photoError = h('p', { id: 'f-photos-error', className: 'field-error', role: 'alert', hidden: true });
  const photoInput = h('input', {
    id: 'f-photos',
    name: 'photos',
    type: 'file',
    accept: PHOTO_TYPES.join(','),
    multiple: true,
    'aria-describedby': 'f-photos-hint f-photos-error',
  });
  const renderPreviews = () => {
    photoList.replaceChildren(
      ...chosen.map((photo, index) => {
        const remove = h('button', { type: 'button', 'aria-label': `Remove photo ${index + 1}` }, 'Remove');
        remove.addEventListener('click', () => {
          URL.revokeObjectURL(photo.preview);
          chosen.splice(chosen.indexOf(photo), 1);
          renderPreviews();
          photoInput.focus();
        });
        const captionId = `f-photo-caption-${index}`;
        photo.caption.id = captionId;
        return h(
          'li',
          null,
          h('img', { src: photo.preview, alt: `Preview of photo ${index + 1}`, width: 96, height: 96 }),
          h('label', { for: captionId }, `Describe photo ${index + 1} (optional)`),
          photo.caption,
          remove,
        );
      }),
    );
    photoInput.disabled = chosen.length >= SUBMIT_MAX_PHOTOS;
  };
  photoInput.addEventListener('change', async () => {
    const files = [...(photoInput.files ?? [])];
    photoInput.value = '';
    const problems: string[] = [];
    for (const file of files) {
      if (chosen.length >= SUBMIT_MAX_PHOTOS) {
        problems.push(`At most ${SUBMIT_MAX_PHOTOS} photos.`);
        break;
      }
      const wrongType = typeProblem(file);
      if (wrongType) {
        problems.push(`${file.name}: ${wrongType}`);
        continue;
      }
      const ready = await prepare(file);
      const tooBig = sizeProblem(ready);
      if (tooBig) {
        problems.push(`${file.name}: ${tooBig}`);
        continue;
      }
      const caption = h('input', { type: 'text', maxlength: PHOTO_CAPTION_MAX, autocomplete: 'off', name: 'caption' });
      chosen.push({ file: ready, name: file.name, preview: URL.createObjectURL(ready), caption });
    }
    photoError.textContent = problems.join(' ');
    photoError.hidden = !problems.length;
    renderPreviews();
  });
  const photoFieldset = h(
    'fieldset',
    null,
    h('legend', null, 'Photos (optional)'),
    h('p', { id: 'f-photos-hint', className: 'hint' }, `Up to ${SUBMIT_MAX_PHOTOS} photos of the problem: JPEG, PNG, WebP or HEIC. Large photos are made smaller before sending.`),
    h('label', { for: 'f-photos' }, 'Add photos'),
    photoInput,
    photoError,
    photoList,
  );

  const channels = channelChoices('notify', { email: false, sms: false }, offerSms);
  // e-mail is ticked once an e-mail is given, unless the customer unticked it themselves
  let emailTouched = false;
  channels.email.addEventListener('change', () => (emailTouched = true));
  const syncEmailChoice = () => {
    const given = Boolean(inputs.get('customer.email')?.value.trim());
    if (!emailTouched) channels.email.checked = given;
    channels.email.disabled = !given;
    if (channels.sms) {
      channels.sms.disabled = !inputs.get('customer.phone')?.value.trim();
      if (channels.sms.disabled) channels.sms.checked = false;
    }
  };
  const summary = h('div', { className: 'form-summary', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', className: 'primary' }, 'Send request');
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'form-title' },
    h('fieldset', null, h('legend', null, 'Your vehicle'), h('div', { className: 'grid' }, VEHICLE.map(field))),
    h('fieldset', null, h('legend', null, 'The problem'), PROBLEM.map(field)),
    h(
      'fieldset',
      null,
      h('legend', null, 'How we reach you'),
      h('p', { className: 'hint' }, 'Give an e-mail address, a phone number, or both.'),
      h('div', { className: 'grid' }, CONTACT.map(field)),
      channels.element,
    ),
    photoFieldset,
    summary,
    h('div', { className: 'actions' }, button),
  );

  for (const path of ['customer.email', 'customer.phone']) inputs.get(path)?.addEventListener('input', syncEmailChoice);
  syncEmailChoice();

  const showSummary = (message: string | null) => {
    summary.textContent = message ?? '';
    summary.hidden = !message;
  };

  const value = (path: string) => inputs.get(path)!.value.trim();

  const collect = (): { input: Record<string, unknown>; problems: [string, string][] } => {
    const problems: [string, string][] = [];
    for (const def of ALL) {
      if (def.required && !value(def.path)) problems.push([def.path, `${def.label} is required.`]);
    }
    const ints: Record<string, number | null> = {};
    for (const path of INT_FIELDS) {
      const raw = value(path);
      if (!raw) ints[path] = null;
      else if (!/^\d+$/.test(raw)) problems.push([path, 'Enter a whole number.']);
      else ints[path] = Number(raw);
    }
    if (!value('customer.email') && !value('customer.phone')) {
      problems.push(['customer.email', 'Give an e-mail address or a phone number.']);
    }
    const opt = (path: string) => value(path) || null;
    return {
      problems,
      input: {
        vehicle: {
          make: value('vehicle.make'),
          model: value('vehicle.model'),
          year: ints['vehicle.year'] ?? null,
          vin: opt('vehicle.vin'),
          licensePlate: opt('vehicle.licensePlate'),
          mileage: ints['vehicle.mileage'] ?? null,
        },
        description: value('description'),
        customer: {
          name: value('customer.name'),
          email: opt('customer.email'),
          phone: opt('customer.phone'),
          notifyBy: channels.chosen().filter((c) => (c === 'EMAIL' ? opt('customer.email') : opt('customer.phone'))),
        },
        clientToken,
      },
    };
  };

  const showProblems = (problems: [string, string][]) => {
    for (const [path, message] of problems) setError(path, message);
    const first = problems[0];
    if (first) inputs.get(first[0])?.focus();
    showSummary(
      problems.length === 1 ? 'Please correct the highlighted field.' : `Please correct the ${problems.length} highlighted fields.`,
    );
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (sending) return;
    for (const def of ALL) setError(def.path, null);
    showSummary(null);
    const { input, problems } = collect();
    if (problems.length) {
      showProblems(problems);
      return;
    }
    sending = true;
    button.disabled = true;
    button.textContent = 'Sending…';
    form.setAttribute('aria-busy', 'true');
    try {
      const data = await request<{ createTicket: { trackingToken: string; ticket: Ticket } }>(
        Q.createTicket,
        { input },
        'apiKey',
      );
      const photos = chosen.map((p) => ({ file: p.file, name: p.name, caption: p.caption.value.trim() || null }));
      renderResult(root, data.createTicket.ticket, data.createTicket.trackingToken, photos);
      return;
    } catch (raw) {
      const error = raw as ApiError;
      const fieldProblems: [string, string][] = [];
      const other: string[] = [];
      for (const e of error.errors ?? [{ message: String(raw) }]) {
        const path = e.errorType === 'ValidationError' || !e.errorType ? fieldForMessage(e.message) : undefined;
        if (path) fieldProblems.push([path, e.message]);
        else if (e.errorType === 'ConflictError') {
          other.push('This form was already sent with different details. Reload the page to start a new request.');
        } else if (!e.errorType && error.isNetwork) {
          other.push('We could not reach the workshop. Please try again: your request will not be sent twice.');
        } else other.push(e.message);
      }
      if (fieldProblems.length) showProblems(fieldProblems);
      if (other.length) showSummary(other.join(' '));
    } finally {
      sending = false;
      if (button.isConnected) {
        button.disabled = false;
        button.textContent = 'Send request';
        form.removeAttribute('aria-busy');
      }
    }
  });

  replaceChildren(
    root,
    h('h1', { id: 'form-title' }, 'Report a problem with your vehicle'),
    h('p', { className: 'lead' }, 'Tell us about your vehicle and what is wrong. You get a reference and a private link to follow the repair.'),
    form,
    lostLinkForm('home-lost'),
  );
}

export function trackingLink(id: string, token: string): string {
  const fragment = new URLSearchParams({ id, token }).toString();
  return `${window.location.origin}/track#${fragment}`;
}

interface PhotoToSend {
  file: Blob;
  name: string;
  caption: string | null;
}

/** After the ticket exists: each photo with its own progress bar; a failed photo is reported on its
 * row and never touches the ticket (its reference and link are already on the page). */
function sendPhotos(ticket: Ticket, token: string, photos: PhotoToSend[]): HTMLElement | null {
  if (!photos.length) return null;
  const rows = photos.map((p) => progressRow(p.name));
  const section = h(
    'section',
    { className: 'uploads', 'aria-labelledby': 'uploads-title', 'data-testid': 'uploads' },
    h('h2', { id: 'uploads-title' }, 'Your photos'),
    h('ul', null, rows.map((r) => r.row)),
  );
  void (async () => {
    for (const [index, photo] of photos.entries()) {
      const row = rows[index]!;
      try {
        const result = await uploadPhoto({ ticketId: ticket.id, trackingToken: token, authMode: 'apiKey' }, photo.file, photo.caption, row.set);
        if (result.status === 'READY') row.done('Sent.', true);
        else row.done('Not accepted: this file is not a JPEG, PNG, WebP or HEIC photo.', false);
      } catch (raw) {
        row.done(`Not sent: ${(raw as Error).message}. Your request is saved; you can call us about the photo.`, false);
      }
    }
    section.dataset.done = 'true';
  })();
  return section;
}

function renderResult(root: HTMLElement, ticket: Ticket, token: string, photos: PhotoToSend[] = []): void {
  setTitle(`Request ${ticket.reference} received`);
  const link = trackingLink(ticket.id, token);
  const copied = h('span', { className: 'copied', role: 'status', 'aria-live': 'polite' });
  const linkInput = h('input', { id: 'tracking-link', type: 'text', readonly: true, value: link });
  const copy = h('button', { type: 'button' }, 'Copy link');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(link);
      copied.textContent = 'Link copied.';
    } catch {
      linkInput.focus();
      linkInput.select();
      copied.textContent = 'Press Ctrl+C (or ⌘C) to copy the selected link.';
    }
  });
  const heading = h('h1', { tabindex: -1 }, 'Thank you — we have your request');
  replaceChildren(
    root,
    h(
      'section',
      { className: 'result', 'aria-labelledby': 'result-ref-label' },
      heading,
      h('p', { id: 'result-ref-label' }, 'Your reference (quote it when you call us):'),
      h('p', { className: 'reference', 'data-testid': 'reference' }, ticket.reference),
      h('h2', null, 'Follow your repair'),
      h('p', null, 'This private link shows the status of your repair as it changes. Keep it: it is shown only once, and anyone with the link can see the status.'),
      h('div', { className: 'copy-row' }, h('label', { for: 'tracking-link', className: 'visually-hidden' }, 'Tracking link'), linkInput, copy),
      copied,
      sendPhotos(ticket, token, photos),
      h('p', null, h('a', { href: link, className: 'button-link' }, 'Open the tracking page')),
      h('p', null, h('a', { href: '/', 'data-reset': '1' }, 'Report another problem')),
    ),
  );
  heading.focus();
}
