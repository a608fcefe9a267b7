// A minimal PNG codec on node:zlib: 8-bit RGB or greyscale, no interlace. The encoder
// writes filter type 0 rows; the decoder reads what the encoder writes (filters 0-4 are
// supported, so other tools' simple PNGs read too).
import { deflateSync, inflateSync } from "node:zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** Encodes an image `[C, H, W]` (C = 1 grey or 3 RGB, channel-first) as PNG bytes. */
export function encodePng(pixels: Uint8Array, channels: 1 | 3, height: number, width: number): Buffer {
  if (pixels.length !== channels * height * width) {
    throw new Error(`encodePng: ${pixels.length} bytes is not ${channels}x${height}x${width}`);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 3 ? 2 : 0; // colour type: truecolour or greyscale
  const stride = width * channels + 1;
  const raw = Buffer.alloc(height * stride);
  const plane = height * width;
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++)
      for (let c = 0; c < channels; c++)
        raw[i * stride + 1 + j * channels + c] = pixels[c * plane + i * width + j];
  }
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** Decodes an 8-bit greyscale or RGB PNG to channel-first pixels `[C, H, W]`. */
export function decodePng(png: Uint8Array): {
  pixels: Uint8Array;
  channels: 1 | 3;
  height: number;
  width: number;
} {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error("decodePng: not a PNG file");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels: 1 | 3 = 3;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("latin1", offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || (data[9] !== 2 && data[9] !== 0) || data[12] !== 0) {
        throw new Error("decodePng: only 8-bit greyscale or RGB, non-interlaced PNGs are supported");
      }
      channels = data[9] === 2 ? 3 : 1;
    } else if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = new Uint8Array(height * stride);
  for (let i = 0; i < height; i++) {
    const filter = raw[i * (stride + 1)];
    for (let k = 0; k < stride; k++) {
      const x = raw[i * (stride + 1) + 1 + k];
      const a = k >= channels ? rows[i * stride + k - channels] : 0;
      const b = i > 0 ? rows[(i - 1) * stride + k] : 0;
      const c = i > 0 && k >= channels ? rows[(i - 1) * stride + k - channels] : 0;
      let v = x;
      if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      rows[i * stride + k] = v & 0xff;
    }
  }
  const pixels = new Uint8Array(channels * height * width);
  const plane = height * width;
  for (let k = 0; k < plane; k++)
    for (let c = 0; c < channels; c++) pixels[c * plane + k] = rows[k * channels + c];
  return { pixels, channels, height, width };
}
