// Staff page (/staff): Cognito sign-in, the live board by status, moves along the lifecycle.
import {
  confirmSignIn,
  fetchAuthSession,
  fetchMFAPreference,
  getCurrentUser,
  setUpTOTP,
  signIn,
  signOut,
  updateMFAPreference,
  verifyTOTPSetup,
} from 'aws-amplify/auth';
import type { SignInOutput } from 'aws-amplify/auth';
import { ApiError, Q, request, subscribe } from '../api';
import type { Photo } from '../api';
import { PHOTO_TYPES, gallery, photoSignature, prepare, progressRow, sizeProblem, typeProblem, uploadPhoto } from '../photos';
import type { Subscription, Ticket, TicketPage } from '../api';
import type { AppConfig } from '../config';
import { formatAge, formatDateTime, h, replaceChildren, setTitle, timeElement } from '../dom';
import { ESTIMATE_FROM, STATUSES, STATUS_LABEL, allowedNext, isStatus } from '../lifecycle';
import { estimateSummary } from '../estimate';
import { estimatePanel } from './estimateBuilder';
import type { TicketStatus } from '../lifecycle';
import { NOTE_MAX_LENGTH } from '../limits';
import { STAFF_GROUP } from '../staffGroup';
import { mailtoHref } from '../mailto';
import { TOTP_ISSUER, readCode, totpCodeInput, totpSetupDetails } from '../totp';
import { onConnectionState, onResync } from '../realtime';

const PAGE_SIZE = 10;
export const STALE_SUBMITTED_MS = 2 * 60 * 60 * 1000;

export async function renderStaff(root: HTMLElement, config: AppConfig): Promise<void> {
  setTitle('Staff');
  try {
    await getCurrentUser();
  } catch {
    renderSignIn(root, config);
    return;
  }
  await enterBoard(root, config);
}

async function isStaff(): Promise<boolean> {
  const session = await fetchAuthSession();
  const groups = session.tokens?.accessToken?.payload['cognito:groups'];
  return Array.isArray(groups) && groups.includes(STAFF_GROUP);
}

async function enterBoard(root: HTMLElement, config: AppConfig): Promise<void> {
  if (!(await isStaff())) {
    const out = h('button', { type: 'button' }, 'Sign out');
    out.addEventListener('click', async () => {
      await signOut();
      renderSignIn(root, config);
    });
    replaceChildren(root, h('h1', null, 'Staff'), h('p', { role: 'alert' }, 'This account is not in the staff group.'), out);
    return;
  }
  const user = await getCurrentUser();
  new Board(root, config, user.signInDetails?.loginId ?? user.username).start();
}

type SignInStep = 'password' | 'newPassword' | 'totpCode' | 'totpSetup';

function renderSignIn(root: HTMLElement, config: AppConfig, notice?: string): void {
  setTitle('Staff sign-in');
  const error = h('p', { className: 'form-summary', role: 'alert', hidden: true });
  const prompt = h('p', { role: 'status', 'data-testid': 'signin-prompt' });
  const username = h('input', { id: 'staff-username', name: 'username', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'staff-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const credentials = h(
    'div',
    null,
    h('div', { className: 'field' }, h('label', { for: 'staff-username' }, 'E-mail'), username),
    h('div', { className: 'field' }, h('label', { for: 'staff-password' }, 'Password'), password),
  );
  const newPassword = h('input', { id: 'staff-new-password', type: 'password', autocomplete: 'new-password' });
  const newPasswordField = h(
    'div',
    { className: 'field', hidden: true },
    h('label', { for: 'staff-new-password' }, 'New password (required on first sign-in)'),
    newPassword,
  );
  const totpSetup = h('div', { hidden: true });
  const code = totpCodeInput('staff-totp-code');
  const codeField = h('div', { className: 'field', hidden: true }, h('label', { for: 'staff-totp-code' }, 'Code from your authenticator app'), code);
  const buttonLabel = { password: 'Sign in', newPassword: 'Sign in', totpCode: 'Verify', totpSetup: 'Verify and sign in' };
  const button = h('button', { type: 'submit', className: 'primary' }, 'Sign in');
  let step: SignInStep = 'password';
  const form = h(
    'form',
    { className: 'signin', novalidate: true, 'aria-labelledby': 'signin-title' },
    credentials,
    newPasswordField,
    totpSetup,
    codeField,
    prompt,
    error,
    h('div', { className: 'actions' }, button),
  );
  const fail = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };
  const show = (next: SignInStep, message: string, focus: HTMLInputElement) => {
    step = next;
    credentials.hidden = next === 'totpCode' || next === 'totpSetup';
    newPasswordField.hidden = next !== 'newPassword';
    totpSetup.hidden = next !== 'totpSetup';
    codeField.hidden = next !== 'totpCode' && next !== 'totpSetup';
    code.value = '';
    prompt.textContent = message;
    focus.focus();
  };
  const proceed = async (result: SignInOutput): Promise<void> => {
    if (result.isSignedIn) {
      await enterBoard(root, config);
      return;
    }
    const next = result.nextStep;
    switch (next.signInStep) {
      case 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED':
        show('newPassword', 'Choose a new password to finish signing in.', newPassword);
        return;
      case 'CONFIRM_SIGN_IN_WITH_TOTP_CODE':
        show('totpCode', 'Enter the 6-digit code from your authenticator app.', code);
        return;
      case 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP': {
        const { sharedSecret, getSetupUri } = next.totpSetupDetails;
        totpSetup.replaceChildren(totpSetupDetails(sharedSecret, getSetupUri(TOTP_ISSUER, username.value.trim()).toString()));
        show('totpSetup', 'This account needs two-step sign-in: add it to your authenticator app.', code);
        return;
      }
      // The pool offers only TOTP; when Cognito still asks which one, the answer is TOTP.
      case 'CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION':
      case 'CONTINUE_SIGN_IN_WITH_MFA_SELECTION':
        if (next.allowedMFATypes?.includes('TOTP')) {
          await proceed(await confirmSignIn({ challengeResponse: 'TOTP' }));
          return;
        }
        break;
    }
    fail(`Sign-in needs a step this page does not support (${next.signInStep}).`);
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    error.hidden = true;
    let answer: string | undefined;
    if (step === 'password' && (!username.value.trim() || !password.value)) {
      fail('Enter your e-mail and password.');
      return;
    }
    if (step === 'newPassword') answer = newPassword.value;
    if (step === 'totpCode' || step === 'totpSetup') {
      answer = readCode(code);
      if (!answer) {
        fail('Enter the 6-digit code from your authenticator app.');
        return;
      }
    }
    const codeStep = step === 'totpCode' || step === 'totpSetup';
    button.disabled = true;
    button.textContent = codeStep ? 'Checking…' : 'Signing in…';
    try {
      await proceed(
        answer === undefined
          ? await signIn({ username: username.value.trim(), password: password.value, options: { authFlowType: config.authFlowType } })
          : await confirmSignIn({ challengeResponse: answer }),
      );
    } catch (raw) {
      const e = raw as { name?: string; message?: string };
      if (e.name === 'UserAlreadyAuthenticatedException') {
        await enterBoard(root, config);
        return;
      }
      if (codeStep && e.name === 'CodeMismatchException') {
        fail('That code is not right. Enter the newest code from your authenticator app.');
      } else if (codeStep && e.name === 'NotAuthorizedException') {
        renderSignIn(root, config, 'The sign-in took too long. Sign in again.');
      } else {
        fail(e.name === 'NotAuthorizedException' || e.name === 'UserNotFoundException' ? 'Wrong e-mail or password.' : (e.message ?? 'Sign-in failed.'));
      }
    } finally {
      if (button.isConnected) {
        button.disabled = false;
        button.textContent = buttonLabel[step];
      }
    }
  });
  replaceChildren(
    root,
    h('h1', { id: 'signin-title' }, 'Staff sign-in'),
    notice ? h('p', { role: 'status' }, notice) : null,
    form,
  );
}

/** A ticket nobody has looked at for too long: highlighted with text, not only colour. */
export function isStale(ticket: Ticket, now = Date.now()): boolean {
  return ticket.status === 'SUBMITTED' && now - new Date(ticket.updatedAt).getTime() > STALE_SUBMITTED_MS;
}

function newestFirst(a: Ticket, b: Ticket): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : -1;
}

interface Column {
  status: TicketStatus;
  ids: string[];
  nextToken: string | null | undefined;
  loaded: boolean;
  list: HTMLElement;
  count: HTMLElement;
  more: HTMLButtonElement;
  navCount: HTMLElement;
}

class Board {
  private tickets = new Map<string, Ticket>();
  private columns = new Map<TicketStatus, Column>();
  private cardMessages = new Map<string, string>();
  private subscription: Subscription | undefined;
  private cleanups: (() => void)[] = [];
  private liveLine = h('p', { className: 'live-line', 'data-testid': 'live-state' }, 'Connecting for live updates…');
  private announcer = h('p', { className: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  private found = h('div', { className: 'found', 'data-testid': 'find-result' });
  private boardEl = h('div', { className: 'board', 'data-testid': 'board' });
  private twoStep = h('div', { className: 'two-step', 'data-testid': 'two-step' });
  private estimates = estimatePanel((ticket) => this.upsert(ticket, true));

  constructor(
    private root: HTMLElement,
    private config: AppConfig,
    private who: string,
  ) {}

  start(): void {
    setTitle('Staff board');
    const signOutButton = h('button', { type: 'button' }, 'Sign out');
    signOutButton.addEventListener('click', () => void this.signOut());
    const nav = h('nav', { className: 'board-nav', 'aria-label': 'Statuses' }, h('ul', null));
    for (const status of STATUSES) {
      const column = this.makeColumn(status);
      this.columns.set(status, column);
      this.boardEl.appendChild(column.list.closest('section')!);
      nav.firstElementChild!.appendChild(
        h('li', null, h('a', { href: `#col-${status}` }, STATUS_LABEL[status], ' ', column.navCount)),
      );
    }
    replaceChildren(
      this.root,
      h(
        'div',
        { className: 'board-head' },
        h('h1', null, 'Workshop board'),
        h('p', { className: 'who' }, 'Signed in as ', h('strong', null, this.who), ' ', signOutButton),
      ),
      this.twoStep,
      this.findForm(),
      this.found,
      this.estimates.element,
      this.liveLine,
      this.announcer,
      nav,
      this.boardEl,
    );
    this.cleanups.push(
      onConnectionState((state) => {
        this.liveLine.textContent =
          state === 'Connected' ? 'Live: the board updates by itself.' : state === 'Connecting' ? 'Connecting for live updates…' : 'Live updates paused — reconnecting…';
        this.liveLine.dataset.state = state;
      }),
      onResync((reason) => {
        if (reason !== 'visible' || document.visibilityState === 'visible') void this.reloadAll();
      }),
    );
    const ages = window.setInterval(() => this.refreshAges(), 30_000);
    this.cleanups.push(() => window.clearInterval(ages));
    this.subscription = subscribe<{ onTicketActivity: Ticket | null }>(
      Q.onTicketActivity,
      {},
      'userPool',
      (data) => {
        if (data?.onTicketActivity) this.live(data.onTicketActivity);
      },
      () => {
        this.liveLine.textContent = 'Live updates are unavailable. Reload the page to see changes.';
      },
    );
    void this.reloadAll();
    void this.showTwoStep();
  }

  /** Two-step sign-in (TOTP): its state, or a button to turn it on. */
  private async showTwoStep(): Promise<void> {
    let enabled = false;
    try {
      enabled = (await fetchMFAPreference()).enabled?.includes('TOTP') ?? false;
    } catch {
      /* unknown: offer the set-up; Cognito refuses it if it is not allowed */
    }
    if (enabled) {
      replaceChildren(this.twoStep, h('p', null, 'Two-step sign-in is on.'));
      return;
    }
    const button = h('button', { type: 'button' }, 'Set up two-step sign-in');
    button.addEventListener('click', () => void this.setUpTwoStep(button));
    replaceChildren(this.twoStep, button);
  }

  private async setUpTwoStep(start: HTMLButtonElement): Promise<void> {
    start.disabled = true;
    let details;
    try {
      details = await setUpTOTP();
    } catch (raw) {
      start.disabled = false;
      replaceChildren(this.twoStep, start, h('p', { role: 'alert' }, `Could not start the set-up: ${(raw as Error).message}`));
      return;
    }
    const code = totpCodeInput('two-step-code');
    const error = h('p', { className: 'form-summary', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', className: 'primary' }, 'Turn on');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    cancel.addEventListener('click', () => void this.showTwoStep());
    const form = h(
      'form',
      { className: 'two-step-form', novalidate: true, 'aria-labelledby': 'two-step-title' },
      h('h2', { id: 'two-step-title' }, 'Set up two-step sign-in'),
      totpSetupDetails(details.sharedSecret, details.getSetupUri(TOTP_ISSUER, this.who).toString()),
      h('div', { className: 'field' }, h('label', { for: 'two-step-code' }, 'Code from your authenticator app'), code),
      error,
      h('div', { className: 'actions' }, submit, ' ', cancel),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (submit.disabled) return;
      error.hidden = true;
      const value = readCode(code);
      if (!value) {
        error.textContent = 'Enter the 6-digit code from your authenticator app.';
        error.hidden = false;
        return;
      }
      submit.disabled = true;
      try {
        await verifyTOTPSetup({ code: value });
        await updateMFAPreference({ totp: 'PREFERRED' });
        replaceChildren(
          this.twoStep,
          h('p', { role: 'status' }, 'Two-step sign-in is on: from now on, signing in asks for a code from your authenticator app.'),
        );
      } catch (raw) {
        const e = raw as { name?: string; message?: string };
        error.textContent =
          e.name === 'CodeMismatchException' || e.name === 'EnableSoftwareTokenMFAException'
            ? 'That code is not right. Enter the newest code from your authenticator app.'
            : `Could not turn it on: ${e.message ?? 'unknown error'}`;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    replaceChildren(this.twoStep, form);
    code.focus();
  }

  private async signOut(): Promise<void> {
    this.subscription?.unsubscribe();
    for (const stop of this.cleanups) stop();
    await signOut();
    renderSignIn(this.root, this.config, 'You are signed out.');
  }

  private makeColumn(status: TicketStatus): Column {
    const titleId = `col-${status}-title`;
    const count = h('span', { className: 'count' });
    const navCount = h('span', { className: 'count' });
    const list = h('ol', { className: 'cards', 'aria-labelledby': titleId });
    const more = h('button', { type: 'button', className: 'more', hidden: true }, `Load more ${STATUS_LABEL[status].toLowerCase()}`);
    const column: Column = { status, ids: [], nextToken: undefined, loaded: false, list, count, more, navCount };
    more.addEventListener('click', () => void this.loadPage(column, false));
    h(
      'section',
      { className: `column status-${status}`, id: `col-${status}`, 'aria-labelledby': titleId, 'data-status': status },
      h('h2', { id: titleId }, STATUS_LABEL[status], ' ', count),
      list,
      more,
    );
    return column;
  }

  private async reloadAll(): Promise<void> {
    await Promise.all([...this.columns.values()].map((c) => this.loadPage(c, true)));
  }

  private async loadPage(column: Column, fresh: boolean): Promise<void> {
    column.more.disabled = true;
    try {
      const data = await request<{ tickets: TicketPage }>(
        Q.tickets,
        { status: column.status, limit: PAGE_SIZE, nextToken: fresh ? null : column.nextToken },
        'userPool',
      );
      if (fresh) {
        // Keep the cards that arrived live; replace the rest with the first page.
        column.ids = column.ids.filter((id) => !data.tickets.items.some((t) => t.id === id) && this.isNewerThanPage(id, data.tickets.items));
      }
      column.nextToken = data.tickets.nextToken;
      column.loaded = true;
      for (const ticket of data.tickets.items) this.upsert(ticket, false);
      this.renderColumn(column);
    } catch (raw) {
      const error = raw as ApiError;
      if (error.has?.('UnauthorizedException')) {
        await this.signOut();
        return;
      }
      column.list.replaceChildren(h('li', { className: 'error', role: 'alert' }, `Could not load: ${error.message}`));
    } finally {
      column.more.disabled = false;
    }
  }

  /** A card that is not in the fresh first page stays only if it is newer than that page's oldest item. */
  private isNewerThanPage(id: string, items: Ticket[]): boolean {
    const ticket = this.tickets.get(id);
    const oldest = items[items.length - 1];
    return !!ticket && !!oldest && ticket.createdAt > oldest.createdAt;
  }

  /** A live event carries only the customer-visible photos, without urls. A new ticket without photos
   * or a status change that leaves those photos as they are is shown from the event (the card keeps
   * its photos); any other change (photos: also the hidden ones, which events never show) fetches the
   * ticket: every photo, fresh urls. */
  private live(event: Ticket): void {
    const known = this.tickets.get(event.id);
    if (known && event.version <= known.version) return; // nothing newer than what the card shows
    const fromEvent = known
      ? event.history.length !== known.history.length && photoSignature(event.photos) === photoSignature(known.photos, true)
      : !event.photos?.length;
    if (fromEvent) this.upsert({ ...event, photos: known?.photos ?? [] }, true);
    else void this.fetchTicket(event.id);
  }

  private async fetchTicket(id: string): Promise<void> {
    try {
      const data = await request<{ ticket: Ticket | null }>(Q.staffTicket, { id }, 'userPool');
      if (data.ticket) this.upsert(data.ticket, false); // redraws the card if anything changed
    } catch {
      /* the next event or resync catches up */
    }
  }

  /** Upload rows per ticket: kept across redraws of the card, so progress survives live updates. */
  private uploads = new Map<string, HTMLElement>();

  private photoPanel(ticket: Ticket, scope: string): HTMLElement {
    const photos = ticket.photos ?? [];
    const inputId = `${scope}-ph-${ticket.id}`;
    const input = h('input', { id: inputId, type: 'file', accept: PHOTO_TYPES.join(','), multiple: true, name: 'photos' });
    input.addEventListener('change', () => {
      const files = [...(input.files ?? [])];
      input.value = '';
      void this.addPhotos(ticket.id, files);
    });
    const rows = this.uploads.get(ticket.id) ?? null;
    return h(
      'div',
      { className: 'card-photos' },
      photos.length ? gallery(photos, `Photos of ${ticket.reference}`, (photo) => this.visibilitySwitch(ticket, photo)) : null,
      h('label', { for: inputId, className: 'add-photos' }, 'Add photos (hidden from the customer until you show them)'),
      input,
      rows,
    );
  }

  private visibilitySwitch(ticket: Ticket, photo: Photo): HTMLElement | null {
    if (photo.uploadedBy !== 'STAFF' || photo.status !== 'READY') return null;
    const shown = photo.visibleToCustomer;
    const button = h(
      'button',
      { type: 'button', className: 'visibility', 'aria-pressed': shown ? 'true' : 'false', 'data-testid': 'photo-visibility' },
      shown ? 'Shown to customer' : 'Hidden from customer',
    );
    button.title = shown ? 'Hide this photo from the customer' : 'Show this photo to the customer';
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await request<{ setPhotoVisibility: Photo }>(
          Q.setPhotoVisibility,
          { ticketId: ticket.id, photoId: photo.id, visibleToCustomer: !shown },
          'userPool',
        );
        this.cardMessages.set(ticket.id, !shown ? 'Photo shown to the customer.' : 'Photo hidden from the customer.');
        await this.fetchTicket(ticket.id);
      } catch (raw) {
        this.cardMessages.set(ticket.id, `Not changed: ${(raw as ApiError).message}`);
        this.rerender(ticket.id);
      }
    });
    return button;
  }

  private async addPhotos(ticketId: string, files: File[]): Promise<void> {
    const list = this.uploads.get(ticketId) ?? h('ul', { className: 'upload-rows', 'data-testid': 'uploads' });
    this.uploads.set(ticketId, list);
    this.rerender(ticketId);
    for (const file of files) {
      const row = progressRow(file.name);
      list.appendChild(row.row);
      const problem = typeProblem(file);
      if (problem) {
        row.done(problem, false);
        continue;
      }
      const ready = await prepare(file);
      const tooBig = sizeProblem(ready);
      if (tooBig) {
        row.done(tooBig, false);
        continue;
      }
      try {
        const photo = await uploadPhoto({ ticketId, authMode: 'userPool' }, ready, null, row.set);
        row.done(photo.status === 'READY' ? 'Added (hidden from the customer).' : 'Not accepted: not a JPEG, PNG, WebP or HEIC photo.', photo.status === 'READY');
      } catch (raw) {
        row.done(`Not added: ${(raw as Error).message}`, false);
      }
    }
    await this.fetchTicket(ticketId);
  }

  /** Adds or moves a ticket; an older version than the one shown is ignored. */
  private upsert(ticket: Ticket, live: boolean): void {
    if (!isStatus(ticket.status)) return;
    const known = this.tickets.get(ticket.id);
    if (known && known.version > ticket.version) return;
    const samePhotos = photoSignature(known?.photos) === photoSignature(ticket.photos);
    if (known && known.version === ticket.version && !live && this.columnOf(ticket.id) === ticket.status && samePhotos) return;
    this.tickets.set(ticket.id, ticket);
    this.estimates.update(ticket);
    for (const column of this.columns.values()) {
      if (column.status !== ticket.status && column.ids.includes(ticket.id)) {
        column.ids = column.ids.filter((id) => id !== ticket.id);
        this.renderColumn(column);
      }
    }
    const target = this.columns.get(ticket.status)!;
    if (!target.ids.includes(ticket.id)) {
      target.ids.push(ticket.id);
      target.ids.sort((a, b) => newestFirst(this.tickets.get(a)!, this.tickets.get(b)!));
    }
    if (live) {
      this.announcer.textContent =
        known && known.status !== ticket.status
          ? `${ticket.reference} moved to ${STATUS_LABEL[ticket.status]}.`
          : known
            ? `${ticket.reference} updated.`
            : `New ticket ${ticket.reference}.`;
    }
    this.renderColumn(target);
    this.refreshFound(ticket);
  }

  private columnOf(id: string): TicketStatus | undefined {
    for (const column of this.columns.values()) if (column.ids.includes(id)) return column.status;
    return undefined;
  }

  private renderColumn(column: Column): void {
    // Live updates redraw a column; keep what someone is typing or choosing in its cards.
    const active = document.activeElement as HTMLElement | null;
    const focused = column.list.contains(active) ? active : null;
    const focusedId = (focused?.closest('[data-ticket-id]') as HTMLElement | null)?.dataset.ticketId;
    const focusedName = focused?.getAttribute('name');
    const drafts = new Map<string, { status: string; note: string }>();
    for (const form of column.list.querySelectorAll<HTMLFormElement>('form.move')) {
      const id = (form.closest('[data-ticket-id]') as HTMLElement).dataset.ticketId!;
      drafts.set(id, { status: form.status.value, note: (form.elements.namedItem('note') as HTMLInputElement).value });
    }
    const items = column.ids.map((id) => this.tickets.get(id)!).filter(Boolean);
    column.list.replaceChildren(
      ...(items.length ? items.map((t) => h('li', null, this.card(t))) : [h('li', { className: 'empty' }, column.loaded ? 'No tickets' : 'Loading…')]),
    );
    for (const [id, draft] of drafts) {
      const form = column.list.querySelector<HTMLFormElement>(`[data-ticket-id="${CSS.escape(id)}"] form.move`);
      if (!form) continue;
      const select = form.elements.namedItem('status') as HTMLSelectElement;
      if ([...select.options].some((o) => o.value === draft.status)) select.value = draft.status;
      (form.elements.namedItem('note') as HTMLInputElement).value = draft.note;
    }
    const shown = `${items.length}${column.nextToken ? '+' : ''}`;
    column.count.textContent = `(${shown})`;
    column.navCount.textContent = `(${shown})`;
    column.more.hidden = !column.nextToken;
    if (focusedId && focusedName) {
      column.list.querySelector<HTMLElement>(`[data-ticket-id="${CSS.escape(focusedId)}"] [name="${focusedName}"]`)?.focus();
    }
  }

  /** Ages tick in place, so nothing a person is typing is redrawn. */
  private refreshAges(): void {
    for (const card of this.root.querySelectorAll<HTMLElement>('[data-ticket-id]')) {
      const ticket = this.tickets.get(card.dataset.ticketId!);
      const time = card.querySelector<HTMLTimeElement>('.age time');
      if (!ticket || !time) continue;
      time.textContent = formatAge(ticket.updatedAt);
      const stale = isStale(ticket);
      if (stale !== card.classList.contains('stale')) {
        card.classList.toggle('stale', stale);
        const column = this.columns.get(ticket.status);
        if (column) this.renderColumn(column);
      }
    }
  }

  private card(ticket: Ticket, scope = 'board'): HTMLElement {
    const v = ticket.vehicle;
    const c = ticket.customer;
    const stale = isStale(ticket);
    const titleId = `${scope}-${ticket.id}-title`;
    const message = this.cardMessages.get(ticket.id);
    return h(
      'article',
      { className: `card${stale ? ' stale' : ''}`, 'aria-labelledby': titleId, 'data-ticket-id': ticket.id, 'data-reference': ticket.reference, 'data-version': ticket.version },
      h('h3', { id: titleId }, ticket.reference),
      h('p', { className: 'vehicle' }, [v.make, v.model, v.year ? `(${v.year})` : ''].filter(Boolean).join(' '), v.licensePlate ? ` · ${v.licensePlate}` : ''),
      h('p', { className: 'desc' }, ticket.description),
      h(
        'p',
        { className: 'age' },
        h('span', { className: 'visually-hidden' }, `Status ${STATUS_LABEL[ticket.status]}. `),
        'Last change ',
        timeElement(ticket.updatedAt, formatAge(ticket.updatedAt)),
        stale ? h('strong', { className: 'badge warn' }, '⚠ Waiting over 2 h') : null,
      ),
      c
        ? h(
            'p',
            { className: 'contact' },
            h('span', null, c.name),
            c.email ? [' · ', h('a', { href: mailtoHref(c.email) }, c.email)] : null,
            c.phone ? [' · ', h('a', { href: `tel:${c.phone.replace(/[^\d+]/g, '')}` }, c.phone)] : null,
          )
        : null,
      c
        ? h(
            'p',
            { className: 'channels', 'data-testid': 'card-channels' },
            'Wants messages by: ',
            c.notifyBy?.length ? c.notifyBy.map((ch) => (ch === 'EMAIL' ? 'e-mail' : 'SMS')).join(', ') : 'none',
          )
        : null,
      deliveryLog(ticket),
      ticket.estimate ? h('p', { className: 'estimate-summary', 'data-testid': 'estimate-summary' }, estimateSummary(ticket.estimate)) : null,
      this.estimateButton(ticket),
      this.photoPanel(ticket, scope),
      this.moveForm(ticket, scope),
      h('p', { className: 'card-msg', role: 'status', 'data-testid': 'card-message' }, message ?? ''),
    );
  }

  private estimateButton(ticket: Ticket): HTMLElement | null {
    if (!ticket.estimate && !ESTIMATE_FROM.includes(ticket.status)) return null;
    const label = ticket.estimate ? 'Estimate…' : 'Build estimate…';
    const button = h('button', { type: 'button', className: 'estimate-open', 'aria-label': `${label} ${ticket.reference}` }, label);
    button.addEventListener('click', () => this.estimates.open(this.tickets.get(ticket.id) ?? ticket));
    return button;
  }

  private moveForm(ticket: Ticket, scope: string): HTMLElement | null {
    const next = allowedNext(ticket.status);
    if (!next.length) return h('p', { className: 'final' }, `Closed: ${STATUS_LABEL[ticket.status]}, ${formatDateTime(ticket.updatedAt)}`);
    const base = `${scope}-mv-${ticket.id}`;
    const select = h('select', { id: `${base}-to`, name: 'status' }, next.map((s) => h('option', { value: s }, STATUS_LABEL[s])));
    const note = h('input', { id: `${base}-note`, name: 'note', type: 'text', maxlength: NOTE_MAX_LENGTH, autocomplete: 'off' });
    const internal = h('input', { id: `${base}-internal`, name: 'internalNote', type: 'text', maxlength: NOTE_MAX_LENGTH, autocomplete: 'off' });
    const button = h('button', { type: 'submit' }, 'Move');
    const form = h(
      'form',
      { className: 'move' },
      h('div', { className: 'field' }, h('label', { for: `${base}-to` }, 'Move to'), select),
      h('div', { className: 'field' }, h('label', { for: `${base}-note` }, 'Public note to the customer (shown on their tracking page and in messages)'), note),
      h('div', { className: 'field' }, h('label', { for: `${base}-internal` }, 'Internal note (staff only, never shown to the customer)'), internal),
      button,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (button.disabled) return;
      button.disabled = true;
      button.textContent = 'Moving…';
      const to = select.value as TicketStatus;
      try {
        const data = await request<{ updateTicketStatus: Ticket }>(
          Q.updateTicketStatus,
          {
            input: {
              id: ticket.id,
              status: to,
              note: note.value.trim() || null,
              internalNote: internal.value.trim() || null,
              expectedVersion: ticket.version,
            },
          },
          'userPool',
        );
        this.cardMessages.set(ticket.id, `Moved to ${STATUS_LABEL[to]}.`);
        this.upsert(data.updateTicketStatus, true);
      } catch (raw) {
        const error = raw as ApiError;
        if (error.has?.('ConflictError')) {
          await this.reloadTicket(ticket.id, 'Someone else changed this ticket — reloaded.');
        } else {
          this.cardMessages.set(ticket.id, `Not moved: ${error.message}`);
          this.rerender(ticket.id);
        }
      }
    });
    return form;
  }

  private async reloadTicket(id: string, message: string): Promise<void> {
    this.cardMessages.set(id, message);
    try {
      const data = await request<{ ticket: Ticket | null }>(Q.staffTicket, { id }, 'userPool');
      if (data.ticket) this.upsert(data.ticket, false);
    } catch {
      /* the message already says what happened; the live feed will catch up */
    }
    this.rerender(id);
    this.announcer.textContent = message;
  }

  /** Redraws wherever the ticket's card is shown (its column, the search result). */
  private rerender(id: string): void {
    const ticket = this.tickets.get(id);
    const status = this.columnOf(id);
    if (status) this.renderColumn(this.columns.get(status)!);
    this.refreshFound(ticket);
  }

  private foundId: string | undefined;

  private refreshFound(ticket: Ticket | undefined): void {
    if (ticket && this.foundId === ticket.id) {
      replaceChildren(this.found, h('h2', null, 'Found'), this.card(ticket, 'found'));
    }
  }

  private findForm(): HTMLElement {
    const input = h('input', { id: 'find-ref', name: 'reference', type: 'search', autocomplete: 'off', placeholder: 'PS-7K2P9Q' });
    const form = h(
      'form',
      { className: 'find', role: 'search', 'aria-label': 'Find a ticket by reference' },
      h('label', { for: 'find-ref' }, 'Find by reference'),
      input,
      h('button', { type: 'submit' }, 'Find'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const reference = input.value.trim().toUpperCase();
      if (!reference) return;
      replaceChildren(this.found, h('p', { role: 'status' }, 'Searching…'));
      try {
        const data = await request<{ ticketByReference: Ticket | null }>(Q.ticketByReference, { reference }, 'userPool');
        const ticket = data.ticketByReference;
        if (!ticket) {
          this.foundId = undefined;
          replaceChildren(this.found, h('p', { role: 'status' }, `No ticket with reference ${reference}.`));
          return;
        }
        this.upsert(ticket, false);
        this.foundId = ticket.id;
        this.refreshFound(this.tickets.get(ticket.id));
      } catch (raw) {
        this.foundId = undefined;
        replaceChildren(this.found, h('p', { role: 'alert' }, `Search failed: ${(raw as ApiError).message}`));
      }
    });
    return form;
  }
}

/** The customer messages sent about this ticket, newest last (staff only). */
function deliveryLog(ticket: Ticket): HTMLElement | null {
  const log = ticket.notifications ?? [];
  if (!log.length) return null;
  return h(
    'details',
    { className: 'delivery-log', 'data-testid': 'delivery-log' },
    h('summary', null, `Messages to the customer (${log.length})`),
    h(
      'ul',
      null,
      log.map((n) =>
        h('li', { 'data-status': n.status }, `${n.event} · ${n.channel === 'EMAIL' ? 'e-mail' : 'SMS'} to ${n.to} · ${n.status} · `, timeElement(n.at, formatDateTime(n.at))),
      ),
    ),
  );
}
