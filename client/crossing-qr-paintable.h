/* crossing-qr-paintable.h: a QR code drawn natively from libqrencode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CROSSING_QR_QUIET_ZONE 4   /* modules of light border on each side */

#define CROSSING_TYPE_QR_PAINTABLE (crossing_qr_paintable_get_type ())
G_DECLARE_FINAL_TYPE (CrossingQrPaintable, crossing_qr_paintable, CROSSING, QR_PAINTABLE, GObject)

/* NULL when @text cannot be encoded. */
CrossingQrPaintable *crossing_qr_paintable_new         (const char          *text);
/* Modules per side, without the quiet zone. */
guint                crossing_qr_paintable_get_size    (CrossingQrPaintable *self);
/* TRUE for a dark module; coordinates include the quiet zone. */
gboolean             crossing_qr_paintable_is_dark     (CrossingQrPaintable *self,
                                                        int                  x,
                                                        int                  y);

G_END_DECLS
