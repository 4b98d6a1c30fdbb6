/* test-qr-paintable.c: the QR drawn is the one libqrencode encodes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <qrencode.h>

#include "crossing-qr-paintable.h"

static void
test_qr_matches_libqrencode (void)
{
  static const char *inputs[] = {
    "http://127.0.0.1:8787/cross-device/claim/AAAAAAAAAAAAAAAAAAAAAA?token=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    "https://auth.example.org/cross-device/claim/x?token=y",
    "a",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(CrossingQrPaintable) qr = crossing_qr_paintable_new (inputs[i]);
      QRcode *code = QRcode_encodeString (inputs[i], 0, QR_ECLEVEL_M, QR_MODE_8, 1);
      int q = CROSSING_QR_QUIET_ZONE;

      g_assert_nonnull (qr);
      g_assert_cmpuint (crossing_qr_paintable_get_size (qr), ==, (guint) code->width);
      for (int y = 0; y < code->width; y++)
        for (int x = 0; x < code->width; x++)
          g_assert_cmpint (crossing_qr_paintable_is_dark (qr, x + q, y + q), ==,
                           (code->data[y * code->width + x] & 1) != 0);
      /* The quiet zone is light all round. */
      for (int k = 0; k < code->width + 2 * q; k++)
        {
          g_assert_false (crossing_qr_paintable_is_dark (qr, k, 0));
          g_assert_false (crossing_qr_paintable_is_dark (qr, 0, k));
          g_assert_false (crossing_qr_paintable_is_dark (qr, k, code->width + 2 * q - 1));
          g_assert_false (crossing_qr_paintable_is_dark (qr, code->width + 2 * q - 1, k));
        }
      g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (qr)), ==,
                       gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (qr)));
      QRcode_free (code);
    }
}

static void
test_unencodable_text_gives_null (void)
{
  /* Far over a version-40 code's capacity at level M. */
  g_autofree char *huge = g_strnfill (8000, 'a');

  g_assert_null (crossing_qr_paintable_new (huge));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/qr/modules-match-libqrencode-with-quiet-zone",
                   test_qr_matches_libqrencode);
  g_test_add_func ("/client/qr/unencodable-text-gives-null", test_unencodable_text_gives_null);
  return g_test_run ();
}
