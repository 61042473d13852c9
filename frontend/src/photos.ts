// Photos: checking and resizing in the browser, the upload (request → POST straight to S3 with
// progress → confirm), and the thumbnails. The server checks everything again.
import limits from '../../resolvers/limits.json';
import { Q, request } from './api';
import type { AuthMode, Photo } from './api';
import { h } from './dom';

export const PHOTO_MAX_BYTES: number = limits.photoMaxBytes;
export const PHOTO_CAPTION_MAX: number = limits.photoCaptionMaxLength;
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic'] as const;
/** The most photos the submit form takes (the server allows more per ticket). */
export const SUBMIT_MAX_PHOTOS = 5;
/** Setting: a photo whose longer edge exceeds this many pixels is scaled down before upload (a
 * phone's 12 MP photo is ~4000 px and several MiB; 2048 px keeps detail at a fraction of the size). */
export const PHOTO_MAX_EDGE_PX = 2048;
const RESIZE_TYPE = 'image/jpeg';
const RESIZE_QUALITY = 0.85;

const MIB = 1024 * 1024;

/** Why a file cannot be uploaded as it is chosen (type), or null. Size is checked after resizing. */
export function typeProblem(file: Blob): string | null {
  return (PHOTO_TYPES as readonly string[]).includes(file.type) ? null : 'Use a JPEG, PNG, WebP or HEIC photo.';
}

export function sizeProblem(file: Blob): string | null {
  return file.size > PHOTO_MAX_BYTES ? `This photo is larger than ${PHOTO_MAX_BYTES / MIB} MiB.` : null;
}

/** The photo to upload: scaled down (JPEG) when larger than PHOTO_MAX_EDGE_PX, otherwise unchanged.
 * HEIC cannot be decoded by most browsers and goes as it is. */
export async function prepare(file: Blob): Promise<Blob> {
  if (file.type === 'image/heic' || typeof createImageBitmap !== 'function') return file;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return file; // the server's check will say what is wrong with it
  }
  const scale = PHOTO_MAX_EDGE_PX / Math.max(bitmap.width, bitmap.height);
  if (scale >= 1) {
    bitmap.close();
    return file;
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, RESIZE_TYPE, RESIZE_QUALITY));
  return blob ?? file;
}

interface PhotoUpload {
  photo: Photo;
  url: string;
  fields: string;
  expiresAt: string;
}

/** POSTs the form S3 expects: the presigned fields first, the file last; reports upload progress. */
function postToS3(upload: PhotoUpload, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(JSON.parse(upload.fields) as Record<string, string>)) form.append(name, value);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`The upload was refused (HTTP ${xhr.status}).`))));
    xhr.addEventListener('error', () => reject(new Error('The upload did not reach the storage. Check your connection.')));
    xhr.send(form);
  });
}

export interface UploadTarget {
  ticketId: string;
  trackingToken?: string;
  authMode: AuthMode;
}

/** Request a presigned POST, send the file straight to S3, confirm: the photo as the server judged it. */
export async function uploadPhoto(target: UploadTarget, file: Blob, caption: string | null, onProgress: (fraction: number) => void): Promise<Photo> {
  const { ticketId, trackingToken, authMode } = target;
  const data = await request<{ requestPhotoUpload: PhotoUpload }>(
    Q.requestPhotoUpload,
    { input: { ticketId, trackingToken: trackingToken ?? null, contentType: file.type, size: file.size, caption } },
    authMode,
  );
  const upload = data.requestPhotoUpload;
  const confirm = () =>
    request<{ confirmPhotoUpload: Photo }>(Q.confirmPhotoUpload, { ticketId, trackingToken: trackingToken ?? null, photoId: upload.photo.id }, authMode);
  try {
    await postToS3(upload, file, onProgress);
  } catch (uploadError) {
    // The PENDING photo holds one of the uploader's slots until confirmed: confirming a photo whose
    // object never arrived makes it REJECTED and frees the slot. Best effort; the POST's error is the news.
    await confirm().catch(() => undefined);
    throw uploadError;
  }
  return (await confirm()).confirmPhotoUpload;
}

/** What a subscription event says about the photos (events carry no urls and, for staff, not the
 * hidden ones): when this differs from what the page shows, the page fetches the ticket again. */
export function photoSignature(photos: readonly Photo[] | null | undefined, customerVisibleOnly = false): string {
  return (photos ?? [])
    .filter((p) => !customerVisibleOnly || p.uploadedBy === 'CUSTOMER' || p.visibleToCustomer)
    .map((p) => `${p.id}:${p.status}:${p.visibleToCustomer ? 1 : 0}`)
    .join(',');
}

export function photoAlt(photo: Photo, index: number): string {
  const who = photo.uploadedBy === 'STAFF' ? 'Workshop photo' : 'Customer photo';
  return photo.caption ? photo.caption : `${who} ${index + 1}`;
}

/** Thumbnails that open the full-size photo (a link: keyboard and screen readers need nothing else).
 * `extra` adds per-photo controls (the staff's visibility switch). */
export function gallery(photos: readonly Photo[], label: string, extra?: (photo: Photo) => Node | null): HTMLElement {
  return h(
    'ul',
    { className: 'photos', 'aria-label': label, 'data-testid': 'photos' },
    photos.map((photo, index) => {
      const alt = photoAlt(photo, index);
      const body =
        photo.status === 'READY' && photo.url
          ? h(
              'a',
              { href: photo.url, target: '_blank', rel: 'noopener noreferrer', className: 'thumb', title: `${alt} (opens full size)` },
              h('img', { src: photo.url, alt, loading: 'lazy', width: 96, height: 96 }),
            )
          : h('span', { className: `thumb placeholder ${photo.status.toLowerCase()}` }, photo.status === 'REJECTED' ? 'Not an accepted photo' : 'Uploading…');
      return h(
        'li',
        { 'data-photo-id': photo.id, 'data-status': photo.status, 'data-visible': photo.visibleToCustomer ? 'true' : 'false' },
        body,
        photo.caption ? h('span', { className: 'caption' }, photo.caption) : null,
        extra ? extra(photo) : null,
      );
    }),
  );
}

/** One upload's row: name, a progress bar, and what happened. */
export function progressRow(name: string): { row: HTMLElement; set(fraction: number): void; done(message: string, ok: boolean): void } {
  const bar = h('progress', { max: 100, value: 0, 'aria-label': `Uploading ${name}` });
  const state = h('span', { className: 'upload-state', role: 'status' }, 'Waiting…');
  const row = h('li', { className: 'upload-row' }, h('span', { className: 'upload-name' }, name), bar, state);
  return {
    row,
    set(fraction: number) {
      bar.value = Math.round(fraction * 100);
      state.textContent = `${Math.round(fraction * 100)} %`;
    },
    done(message: string, ok: boolean) {
      bar.value = ok ? 100 : bar.value;
      state.textContent = message;
      row.dataset.result = ok ? 'ok' : 'failed';
    },
  };
}
