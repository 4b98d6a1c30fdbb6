/* crossing-qr-paintable.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Modules are drawn at a whole number of pixels each whenever there is room,
 * so the code stays sharp at any size and is always dark on light: a camera
 * reads it in dark mode too.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <qrencode.h>

#include "crossing-qr-paintable.h"

struct _CrossingQrPaintable
{
  GObject  parent_instance;

  guint    size;      /* modules per side */
  guint8  *modules;   /* size * size, 1 = dark */
  gboolean drawn;
};

static void crossing_qr_paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CrossingQrPaintable, crossing_qr_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      crossing_qr_paintable_iface_init))

static void
crossing_qr_paintable_snapshot (GdkPaintable *paintable,
                                GdkSnapshot  *snapshot,
                                double        width,
                                double        height)
{
  CrossingQrPaintable *self = CROSSING_QR_PAINTABLE (paintable);
  static const GdkRGBA light = { 1, 1, 1, 1 };
  static const GdkRGBA dark = { 0, 0, 0, 1 };
  guint total = self->size + 2 * CROSSING_QR_QUIET_ZONE;
  double side = MIN (width, height);
  double module = side / total;
  double x0, y0;

  if (module >= 1)
    module = floor (module);
  side = module * total;
  x0 = floor ((width - side) / 2);
  y0 = floor ((height - side) / 2);

  gtk_snapshot_append_color (snapshot, &light, &GRAPHENE_RECT_INIT (x0, y0, side, side));

  for (guint y = 0; y < self->size; y++)
    {
      guint x = 0;

      /* One rectangle per run of dark modules in a row. */
      while (x < self->size)
        {
          guint run = 0;

          while (x + run < self->size && self->modules[y * self->size + x + run])
            run++;
          if (run > 0)
            gtk_snapshot_append_color (snapshot, &dark,
                                       &GRAPHENE_RECT_INIT (x0 + (x + CROSSING_QR_QUIET_ZONE) * module,
                                                            y0 + (y + CROSSING_QR_QUIET_ZONE) * module,
                                                            run * module, module));
          x += run + 1;
        }
    }

  if (!self->drawn)
    {
      self->drawn = TRUE;
      g_debug ("qr drawn, %u modules, %.0f px", self->size, side);
    }
}

static int
crossing_qr_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  CrossingQrPaintable *self = CROSSING_QR_PAINTABLE (paintable);

  return (int) (self->size + 2 * CROSSING_QR_QUIET_ZONE) * 6;
}

static double
crossing_qr_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  return 1.0;
}

static GdkPaintableFlags
crossing_qr_paintable_get_flags (GdkPaintable *paintable)
{
  return GDK_PAINTABLE_STATIC_CONTENTS | GDK_PAINTABLE_STATIC_SIZE;
}

static void
crossing_qr_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = crossing_qr_paintable_snapshot;
  iface->get_intrinsic_width = crossing_qr_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = crossing_qr_paintable_get_intrinsic_width;
  iface->get_intrinsic_aspect_ratio = crossing_qr_paintable_get_intrinsic_aspect_ratio;
  iface->get_flags = crossing_qr_paintable_get_flags;
}

static void
crossing_qr_paintable_finalize (GObject *object)
{
  CrossingQrPaintable *self = (CrossingQrPaintable *) object;

  g_free (self->modules);

  G_OBJECT_CLASS (crossing_qr_paintable_parent_class)->finalize (object);
}

static void
crossing_qr_paintable_class_init (CrossingQrPaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = crossing_qr_paintable_finalize;
}

static void
crossing_qr_paintable_init (CrossingQrPaintable *self)
{
}

CrossingQrPaintable *
crossing_qr_paintable_new (const char *text)
{
  CrossingQrPaintable *self;
  QRcode *code;

  g_return_val_if_fail (text != NULL, NULL);

  code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    return NULL;

  self = g_object_new (CROSSING_TYPE_QR_PAINTABLE, NULL);
  self->size = (guint) code->width;
  self->modules = g_malloc (self->size * self->size);
  for (guint i = 0; i < self->size * self->size; i++)
    self->modules[i] = code->data[i] & 1;
  QRcode_free (code);
  return self;
}

guint
crossing_qr_paintable_get_size (CrossingQrPaintable *self)
{
  g_return_val_if_fail (CROSSING_IS_QR_PAINTABLE (self), 0);
  return self->size;
}

gboolean
crossing_qr_paintable_is_dark (CrossingQrPaintable *self,
                               int                  x,
                               int                  y)
{
  g_return_val_if_fail (CROSSING_IS_QR_PAINTABLE (self), FALSE);

  x -= CROSSING_QR_QUIET_ZONE;
  y -= CROSSING_QR_QUIET_ZONE;
  if (x < 0 || y < 0 || x >= (int) self->size || y >= (int) self->size)
    return FALSE;
  return self->modules[y * self->size + x] != 0;
}
