import './styles.css';
import { loadConfig } from './config';
import { h, replaceChildren } from './dom';

async function main(): Promise<void> {
  const root = document.getElementById('main')!;
  const path = window.location.pathname.replace(/\/+$/, '') || '/';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('a[data-nav]')) {
    if (link.dataset.nav === path) link.setAttribute('aria-current', 'page');
  }
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replaceChildren(root, h('h1', null, 'Pitstop is unavailable'), h('p', { role: 'alert' }, `The app could not start: ${(error as Error).message}`));
    return;
  }
  if (path === '/track') {
    const { renderTrack } = await import('./pages/track');
    renderTrack(root, config.customerSms);
  } else if (path === '/staff') {
    const { renderStaff } = await import('./pages/staff');
    await renderStaff(root, config);
  } else {
    const { renderSubmit } = await import('./pages/submit');
    renderSubmit(root, config.customerSms);
  }
}

void main();
