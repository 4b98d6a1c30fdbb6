/* crossing-window-ledger.c: the signed-in user's balances and recent entries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Under the signed-in details: one row per asset (available, posted,
 * reserved) and the newest entries of the journal. Read when the page is
 * shown and whenever the window gains focus; a companion without the
 * ledger (404) shows nothing. Every call is cancelled when the page goes.
 */
#define G_LOG_DOMAIN "crossing"

#include "config.h"

#include <glib/gi18n.h>

#include "crossing-api.h"
#include "crossing-error.h"
#include "crossing-window-private.h"

#define ENTRIES_SHOWN 20

static void
clear_list (GtkListBox *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (list, 0)) != NULL)
    gtk_list_box_remove (list, GTK_WIDGET (row));
}

static GtkWidget *
new_row (const char *title,
         const char *subtitle,
         const char *suffix)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (suffix);

  /* The texts come from the server: never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_label_set_selectable (GTK_LABEL (label), FALSE);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  return row;
}

static void
show_status (CrossingWindow *self,
             const char     *text)
{
  gtk_label_set_label (self->ledger_status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->ledger_status_label), text != NULL);
}

static const char *
entry_kind (const char *type)
{
  if (g_strcmp0 (type, "credit") == 0)
    return _("Credit");
  if (g_strcmp0 (type, "debit") == 0)
    return _("Debit");
  if (g_strcmp0 (type, "adjust") == 0)
    return _("Adjustment");
  if (g_strcmp0 (type, "reserve") == 0)
    return _("Hold");
  if (g_strcmp0 (type, "release") == 0)
    return _("Hold released");
  return _("Hold captured");
}

static char *
format_date (gint64 epoch_ms)
{
  g_autoptr(GDateTime) utc = epoch_ms > 0 ? g_date_time_new_from_unix_utc (epoch_ms / 1000) : NULL;
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  if (local == NULL)
    return g_strdup (_("Unknown date"));
  /* Translators: an entry's date and time, see g_date_time_format() */
  return g_date_time_format (local, _("%-e %b %Y, %H:%M"));
}

/* The scale of @asset from the balances; an asset no longer configured is
 * shown in minor units. */
static guint
scale_of (CrossingWindow *self,
          const char     *asset)
{
  gpointer scale;

  if (self->ledger_scales != NULL &&
      g_hash_table_lookup_extended (self->ledger_scales, asset, NULL, &scale))
    return GPOINTER_TO_UINT (scale);
  return 0;
}

static void
on_entries (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CrossingWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  entries = crossing_api_ledger_entries_finish (CROSSING_API (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  clear_list (self->entries_list);
  if (error != NULL)
    {
      g_autofree char *words = crossing_error_describe (error, crossing_api_get_server_url (CROSSING_API (source)));
      /* Translators: %s says what went wrong */
      g_autofree char *text = g_strdup_printf (_("Recent activity could not be read: %s"), words);

      g_debug ("ledger entries: %s", error->message);
      show_status (self, text);
      return;
    }
  show_status (self, NULL);
  g_debug ("ledger: %u entries shown", entries->len);
  for (guint i = 0; i < entries->len; i++)
    {
      CrossingLedgerEntry *entry = entries->pdata[i];
      guint scale = scale_of (self, entry->asset);
      /* What the entry did to the balance; a hold moves nothing posted. */
      gint64 delta = entry->posted_delta != 0 ? entry->posted_delta : entry->amount;
      g_autofree char *number = crossing_ledger_format_amount (delta, scale);
      g_autofree char *date = format_date (entry->created_at);
      g_autofree char *subtitle = NULL;
      g_autofree char *amount = NULL;

      /* Translators: an entry's kind ("Credit") and date */
      subtitle = g_strdup_printf (_("%s · %s"), entry_kind (entry->type), date);
      /* Translators: an amount and its asset's code, "+12.50 coin" */
      amount = g_strdup_printf (_("%s%s %s"), entry->posted_delta > 0 ? "+" : "", number,
                                entry->asset);
      gtk_list_box_append (self->entries_list,
                           new_row (*entry->reason != '\0' ? entry->reason : entry_kind (entry->type),
                                    subtitle, amount));
    }
}

static void
on_balance (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CrossingWindow *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) balances = NULL;
  const char *token = crossing_order_get_session_token (self->order);

  balances = crossing_api_ledger_balance_finish (CROSSING_API (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, CROSSING_ERROR, CROSSING_ERROR_NOT_FOUND))
    {
      /* A companion without the ledger: nothing to show, nothing to say. */
      g_debug ("the companion has no ledger");
      gtk_widget_set_visible (self->ledger_box, FALSE);
      return;
    }
  gtk_widget_set_visible (self->ledger_box, TRUE);
  clear_list (self->balances_list);
  if (error != NULL)
    {
      g_autofree char *words = crossing_error_describe (error, crossing_api_get_server_url (CROSSING_API (source)));
      /* Translators: %s says what went wrong */
      g_autofree char *text = g_strdup_printf (_("The balance could not be read: %s"), words);

      g_debug ("ledger balance: %s", error->message);
      clear_list (self->entries_list);
      show_status (self, text);
      return;
    }

  g_clear_pointer (&self->ledger_scales, g_hash_table_unref);
  self->ledger_scales = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < balances->len; i++)
    {
      CrossingLedgerBalance *balance = balances->pdata[i];
      g_autofree char *available = crossing_ledger_format_amount (balance->available, balance->scale);
      g_autofree char *posted = crossing_ledger_format_amount (balance->posted, balance->scale);
      g_autofree char *reserved = crossing_ledger_format_amount (balance->reserved, balance->scale);
      g_autofree char *subtitle = NULL;
      g_autofree char *suffix = NULL;

      g_hash_table_insert (self->ledger_scales, g_strdup (balance->asset),
                           GUINT_TO_POINTER (balance->scale));
      /* Translators: the two balances behind the available amount */
      subtitle = g_strdup_printf (_("Posted %s · Reserved %s"), posted, reserved);
      /* Translators: %s is an amount */
      suffix = g_strdup_printf (_("%s available"), available);
      gtk_list_box_append (self->balances_list, new_row (balance->asset, subtitle, suffix));
    }
  g_debug ("ledger: %u balances shown", balances->len);
  if (token == NULL)
    return;
  crossing_api_ledger_entries_async (CROSSING_API (source), token, ENTRIES_SHOWN,
                                     self->ledger_cancellable, on_entries, self);
}

void
crossing_window_ledger_refresh (CrossingWindow *self)
{
  const char *token = crossing_order_get_session_token (self->order);

  crossing_window_ledger_stop (self, FALSE);
  if (token == NULL)
    return;
  self->ledger_cancellable = g_cancellable_new ();
  crossing_api_ledger_balance_async (crossing_order_get_api (self->order), token,
                                     self->ledger_cancellable, on_balance, self);
}

void
crossing_window_ledger_stop (CrossingWindow *self,
                             gboolean        forget)
{
  if (self->ledger_cancellable != NULL)
    g_cancellable_cancel (self->ledger_cancellable);
  g_clear_object (&self->ledger_cancellable);
  if (!forget)
    return;
  g_clear_pointer (&self->ledger_scales, g_hash_table_unref);
  if (self->ledger_box == NULL)
    return;
  gtk_widget_set_visible (self->ledger_box, FALSE);
  clear_list (self->balances_list);
  clear_list (self->entries_list);
  show_status (self, NULL);
}
