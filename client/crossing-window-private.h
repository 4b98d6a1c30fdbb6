/* crossing-window-private.h: what the window's own files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "crossing-window.h"

G_BEGIN_DECLS

struct _CrossingWindow
{
  AdwApplicationWindow  parent_instance;

  CrossingOrder        *order;
  guint                 tick_id;
  /* Sign Out waits for Undo before it asks the server. */
  gboolean              sign_out_pending;
  guint                 sign_out_id;
  guint                 undo_seconds;
  AdwToast             *sign_out_toast;
  gint64                sign_out_toast_shown_at;  /* frame time, µs; 0: at once */
  gboolean              wide;
  guint                 layout_id;

  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkRevealer          *offline_revealer;
  GtkStack             *stack;
  AdwStatusPage        *start_page;
  GtkButton            *start_button;
  GtkLabel             *start_server_label;
  GtkSpinner           *working_spinner;
  GtkLabel             *working_label;
  GtkBox               *qr_layout;
  GtkWidget            *qr_words;
  GtkLabel             *qr_heading;
  GtkWidget            *order_card;
  GtkLabel             *order_kind_label;
  GtkLabel             *order_title_label;
  GtkLabel             *order_summary_label;
  GtkWidget            *steps_box;
  GtkPicture           *qr_picture;
  GtkLabel             *time_left_label;
  GtkLabel             *link_label;
  GtkWidget            *identified_label;
  GtkWidget            *qr_again_button;
  GtkWidget            *other_account_button;
  GtkWidget            *user_code_box;
  GtkToggleButton      *user_code_toggle;
  GtkLabel             *verification_uri_label;
  GtkLabel             *user_code_label;
  GtkWidget            *start_again_button;
  GtkRevealer          *slow_revealer;
  AdwStatusPage        *scanned_page;
  GtkLabel             *check_code_label;
  GtkSpinner           *scanned_spinner;
  AdwStatusPage        *signed_in_page;
  GtkLabel             *subject_label;
  GtkLabel             *passkey_label;
  GtkLabel             *session_expiry_label;
  GtkLabel             *session_since_label;
  GtkLabel             *session_server_label;
  /* the ledger, under the signed-in details (crossing-window-ledger.c) */
  GtkWidget            *ledger_box;
  GtkListBox           *balances_list;
  GtkListBox           *entries_list;
  GtkLabel             *ledger_status_label;
  GCancellable         *ledger_cancellable;
  GHashTable           *ledger_scales;   /* asset code → scale */
  AdwStatusPage        *done_page;
  GtkLabel             *signer_label;
  GtkLabel             *signature_label;
  AdwStatusPage        *ended_page;
  AdwStatusPage        *error_page;
  /* what takes the focus on each page, so that no selectable label does */
  GtkWidget            *copy_link_button;
  GtkWidget            *scanned_cancel_button;
  GtkWidget            *sign_out_button;
  GtkWidget            *copy_proof_button;
  GtkWidget            *ended_button;
  GtkWidget            *error_button;
};

/* Reads the balances and entries again, cancelling a read under way. */
void crossing_window_ledger_refresh    (CrossingWindow *self);
/* Cancels the reads; @forget also empties and hides the section. */
void crossing_window_ledger_stop       (CrossingWindow *self,
                                        gboolean        forget);
void crossing_window_class_add_actions (GtkWidgetClass *widget_class);
void crossing_window_render            (CrossingWindow *self);
void crossing_window_show_toast        (CrossingWindow *self,
                                        const char     *title);

G_END_DECLS
