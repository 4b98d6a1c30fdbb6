/* fuzz-client-events.c: the desktop client following a hostile event stream
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Byte 0 picks how many renewals the order has used; the rest is what an
 * event stream delivers, parsed and screened as CrossingSseClient does and
 * handed event by event to the order (crossing_order_handle_event()), which
 * follows order "fuzz-order-0123456789". The calls the events trigger
 * (finalize, a new order) go to a closed port and fail; the main context
 * runs until they did. Whatever arrived, the order must end in a state of its own with
 * texts a label can show.
 */
#define G_LOG_DOMAIN "fuzz"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "crossing-json.h"
#include "crossing-order-private.h"
#include "crossing-sse-parser.h"

#include "fuzz-common.h"

#define ORDER_ID "fuzz-order-0123456789"

static void
on_event (const char *event_type,
          const char *data,
          const char *last_event_id,
          gpointer    user_data)
{
  /* What CrossingSseClient lets through to the order, nothing more. */
  if (!g_utf8_validate (event_type, -1, NULL) || !g_utf8_validate (data, -1, NULL) ||
      !crossing_json_is_strict (data, strlen (data), CROSSING_JSON_MAX_DEPTH))
    return;
  crossing_order_handle_event (user_data, event_type, data);
}

static void
check_text (const char *text)
{
  if (text == NULL)
    return;
  if (!g_utf8_validate (text, -1, NULL))
    g_error ("a text for the user is not valid UTF-8");
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 && *p != '\n')
      g_error ("a text for the user holds control character 0x%02x", (guchar) *p);
}

static void
drain (void)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  /* The refused connections come back at once; the deadline only bounds it. */
  while (g_get_monotonic_time () < deadline && g_main_context_iteration (NULL, FALSE))
    ;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CrossingOrder) order = NULL;
  g_autoptr(CrossingSseParser) parser = NULL;
  CrossingOrderState state;

  if (size < 1)
    return 0;
  fuzz_init_glib ();

  /* Port 9 (discard) is closed on loopback: every call fails fast. */
  order = crossing_order_new ("http://127.0.0.1:9", NULL);
  crossing_order_follow_for_test (order, ORDER_ID, data[0] % (CROSSING_ORDER_MAX_RENEWALS + 1));
  parser = crossing_sse_parser_new (on_event, NULL, order);
  crossing_sse_parser_feed (parser, (const char *) data + 1, size - 1, NULL);
  for (guint i = 0; i < 50; i++)
    drain ();

  state = crossing_order_get_state (order);
  g_assert_cmpint (state, >=, CROSSING_ORDER_IDLE);
  g_assert_cmpint (state, <=, CROSSING_ORDER_ERROR);
  g_assert_nonnull (crossing_order_state_to_string (state));
  check_text (crossing_order_get_check_code (order));
  if (crossing_order_get_check_code (order) != NULL)
    g_assert_cmpuint (strlen (crossing_order_get_check_code (order)), <=, 8);
  check_text (crossing_order_get_error (order));
  check_text (crossing_order_get_subject (order));
  g_assert_cmpuint (crossing_order_get_renewals (order), <=, CROSSING_ORDER_MAX_RENEWALS);

  g_clear_object (&order);
  drain ();
  return 0;
}
