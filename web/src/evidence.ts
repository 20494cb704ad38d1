// Evidence files picked on a phone (issue #22): photos are downscaled on the device before they
// are uploaded — a 12-megapixel camera picture is 3–6 MB, which a weak mobile connection may never
// get through — unless the office asked for the original, which the form's "上传原图" switch sends.

import { shallowRef } from "vue";
import { api } from "./api/http";

/** The longest edge of a downscaled photo, in pixels: still sharp on a desktop screen and in print
 * at A4, and about 300–600 KB as a JPEG. */
export const PHOTO_MAX_EDGE = 1920;
const JPEG_QUALITY = 0.82;
/** A picture already within PHOTO_MAX_EDGE is sent as it is when it is no larger than this. */
const SMALL_ENOUGH = 1024 * 1024;

/** The services' upload rules (`GET /api/tasks/v1/evidence-rules`: EVIDENCE_ALLOWED_TYPES,
 * EVIDENCE_MAX_BYTES, EVIDENCE_MAX_FILES, SUPERVISION_REPLY_MAX_FILES, HOTLINE_APPEAL_MAX_FILES), read once per page load:
 * a file is checked here against what the services will check it against after the upload. */
export interface EvidenceRules {
  allowed_types: string[];
  max_bytes: number;
  report_max_files: number;
  reply_max_files: number;
  appeal_max_files: number;
}
export const evidenceRules = shallowRef<EvidenceRules | null>(null);
let loading: Promise<EvidenceRules> | null = null;

export function loadEvidenceRules(): Promise<EvidenceRules> {
  loading ??= api.get<EvidenceRules>("/api/tasks/v1/evidence-rules").then(
    (rules) => (evidenceRules.value = rules),
    (error: unknown) => {
      loading = null; // asked again next time
      throw error;
    },
  );
  return loading;
}

/** The file picker's `accept`: the accepted extensions, and any picture (it is converted). */
export const acceptAttribute = (rules: EvidenceRules | null) =>
  rules ? [...rules.allowed_types.map((t) => `.${t}`), "image/*"].join(",") : "";

export interface Evidence {
  /** Stable key for lists. */
  key: string;
  /** As picked (or taken by the camera). */
  original: File;
  /** The downscaled JPEG of a photo, when it is smaller than the original; otherwise null. */
  scaled: File | null;
}

const extension = (name: string) => name.slice(name.lastIndexOf(".") + 1).toLowerCase();
/** Whether the services take this file's type as it is (rules not read yet: the services decide). */
export const acceptedType = (file: File) =>
  evidenceRules.value?.allowed_types.includes(extension(file.name)) ?? true;

/** The file sent for this evidence: the downscaled photo, or the original when asked for (and the
 * services accept its type: a phone's HEIC original goes as the JPEG). */
export function fileToSend(evidence: Evidence, keepOriginal: boolean): File {
  if (!evidence.scaled || (keepOriginal && acceptedType(evidence.original))) return evidence.original;
  return evidence.scaled;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const jpegName = (name: string) => `${name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : name || "照片"}.jpg`;

/** A photo re-encoded as a JPEG whose longest edge is at most PHOTO_MAX_EDGE (turned upright as its
 * EXIF says, on a white background), or null when there is nothing to gain: not a picture the
 * browser can decode, or already small. The JPEG carries no EXIF (no GPS position). */
export async function downscale(file: File): Promise<File | null> {
  if (!file.type.startsWith("image/") || file.type === "image/gif" || file.type === "image/svg+xml") return null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return null; // a format this browser cannot decode: sent as it is
  }
  const scale = Math.min(1, PHOTO_MAX_EDGE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= SMALL_ENOUGH && acceptedType(file)) {
    bitmap.close();
    return null;
  }
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const context = canvas.getContext("2d");
  if (!context) {
    bitmap.close();
    return null;
  }
  context.fillStyle = "#fff"; // a transparent PNG would turn black as a JPEG
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
  // Smaller in pixels always wins; at the same size, only if it is fewer bytes.
  if (!blob || (scale === 1 && blob.size >= file.size && acceptedType(file))) return null;
  return new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified });
}
