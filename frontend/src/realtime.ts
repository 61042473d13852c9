// Tells a page when the real-time connection comes back after a disruption (or the tab wakes up),
// so it can re-query and compare `version`: subscriptions have no replay.
import { CONNECTION_STATE_CHANGE, ConnectionState } from 'aws-amplify/api';
import { Hub } from 'aws-amplify/utils';

export function onResync(callback: (reason: string) => void): () => void {
  let last: string | undefined;
  let wasConnected = false;
  const stopHub = Hub.listen('api', ({ payload }) => {
    if (payload.event !== CONNECTION_STATE_CHANGE) return;
    const state = (payload.data as { connectionState?: string } | undefined)?.connectionState;
    if (state === ConnectionState.Connected && last !== ConnectionState.Connected && wasConnected) {
      callback('reconnected');
    }
    if (state === ConnectionState.Connected) wasConnected = true;
    last = state;
  });
  const onVisible = () => {
    if (document.visibilityState === 'visible') callback('visible');
  };
  const onOnline = () => callback('online');
  document.addEventListener('visibilitychange', onVisible);
  window.addEventListener('online', onOnline);
  return () => {
    stopHub();
    document.removeEventListener('visibilitychange', onVisible);
    window.removeEventListener('online', onOnline);
  };
}

/** Current connection state text for a small status line. */
export function onConnectionState(callback: (state: string) => void): () => void {
  return Hub.listen('api', ({ payload }) => {
    if (payload.event !== CONNECTION_STATE_CHANGE) return;
    const state = (payload.data as { connectionState?: string } | undefined)?.connectionState;
    if (state) callback(state);
  });
}
