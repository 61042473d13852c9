// TOTP (authenticator app) set-up: the secret as text and as a QR code drawn here, in the page
// (qrcode-generator), so the secret never goes to a third-party image service.
import qrcode from 'qrcode-generator';
import { h } from './dom';

const SVG = 'http://www.w3.org/2000/svg';
export const TOTP_ISSUER = 'Pitstop';

/** The otpauth:// URI as a QR code: one SVG path of dark modules, with a quiet zone of 4. */
export function qrSvg(text: string, label: string): SVGSVGElement {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const size = count + 8;
  let d = '';
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) if (qr.isDark(row, col)) d += `M${col + 4} ${row + 4}h1v1h-1z`;
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('width', String(size * 4));
  svg.setAttribute('height', String(size * 4));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.classList.add('qr');
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  const modules = document.createElementNS(SVG, 'path');
  modules.setAttribute('d', d);
  modules.setAttribute('fill', '#000');
  svg.append(background, modules);
  return svg;
}

/** Groups of four, as authenticator apps show secrets: easier to type by hand. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** What to add to the authenticator app: the QR code, and the secret for typing in by hand. */
export function totpSetupDetails(secret: string, setupUri: string): HTMLElement {
  return h(
    'div',
    { className: 'totp-setup', 'data-testid': 'totp-setup' },
    h('p', null, 'Scan this code with your authenticator app, or enter the key by hand, then type the 6-digit code it shows.'),
    qrSvg(setupUri, 'QR code for your authenticator app'),
    h('p', null, 'Key: ', h('code', { id: 'totp-secret', 'data-secret': secret }, grouped(secret))),
  );
}

/** A field for the 6-digit code from the app. */
export function totpCodeInput(id: string): HTMLInputElement {
  return h('input', {
    id,
    name: 'code',
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: 6,
  });
}

/** The code as typed, without spaces; undefined unless it is six digits. */
export function readCode(input: HTMLInputElement): string | undefined {
  const code = input.value.replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}
