import jsQR from 'jsqr';

/**
 * Reads a PDF the way a person does: its text (MuPDF's text extraction) and what a QR code on its
 * first page says (the page rendered by MuPDF, the code decoded from the pixels by jsQR).
 */
export async function readPdf(pdf: Uint8Array): Promise<{ pages: number; text: string; qr: string | null }> {
  const mupdf = await import('mupdf');
  const doc = mupdf.Document.openDocument(pdf, 'application/pdf');
  const pages = doc.countPages();
  let text = '';
  for (let i = 0; i < pages; i++) text += doc.loadPage(i).toStructuredText('preserve-whitespace').asText();
  // Rendered opaque (white paper), then widened to the RGBA jsQR reads.
  const pix = doc.loadPage(0).toPixmap(mupdf.Matrix.scale(2, 2), mupdf.ColorSpace.DeviceRGB, false);
  const rgb = pix.getPixels();
  const n = pix.getNumberOfComponents();
  const rgba = new Uint8ClampedArray(pix.getWidth() * pix.getHeight() * 4);
  for (let i = 0, j = 0; j < rgba.length; i += n, j += 4) {
    rgba[j] = rgb[i]!;
    rgba[j + 1] = rgb[i + 1]!;
    rgba[j + 2] = rgb[i + 2]!;
    rgba[j + 3] = 255;
  }
  const code = jsQR(rgba, pix.getWidth(), pix.getHeight());
  return { pages, text, qr: code?.data ?? null };
}
