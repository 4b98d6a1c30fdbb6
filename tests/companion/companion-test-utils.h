/* companion-test-utils.h: an in-process companion and a client that talks to it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server and the client share the test's thread and its default main
 * context: every helper that waits for the network iterates that context
 * until what it waits for has happened, or fails the test after a bounded
 * time.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "crossing-proof.h"
#include "crossing-protocol.h"
#include "crossing-sse-parser.h"

#include "companion-config.h"
#include "companion-server.h"
#include "companion-sqlite-store.h"

G_BEGIN_DECLS

/* The most any single wait may take before the test fails. */
#define CT_TIMEOUT_MS 5000

typedef struct {
  char                 *tmp_dir;
  char                 *db_path;
  CompanionConfig      *config;
  CompanionStore       *store;
  CompanionServer      *server;
  SoupSession          *session;
  char                 *url;     /* "http://127.0.0.1:PORT" */
  char                 *api;     /* "{url}/api/auth/cross-device" */
} CtFixture;

/* Temp dir and a config for 127.0.0.1 port 0 with the database inside it;
 * nothing runs yet, so a test can change the config before ct_fixture_start(). */
void      ct_fixture_init         (CtFixture     *f);
/* Opens the store, starts the server and the client session. */
void      ct_fixture_start        (CtFixture     *f);
/* Stops the server and drops the store, keeping the temp dir (a restart). */
void      ct_fixture_stop         (CtFixture     *f);
/* Stops everything and removes the temp dir. */
void      ct_fixture_finish       (CtFixture     *f);

/* For g_test_add (): init + start, and finish. */
void      ct_fixture_setup        (CtFixture     *f,
                                   gconstpointer  data);
void      ct_fixture_teardown     (CtFixture     *f,
                                   gconstpointer  data);

CompanionEventHub *ct_fixture_get_hub (CtFixture *f);
CompanionStore    *ct_fixture_get_store (CtFixture *f);

/* Iterates the default main context until @done returns TRUE; FALSE when
 * @timeout_ms passed first. */
gboolean  ct_wait_until           (gboolean     (*done) (gpointer data),
                                   gpointer       data,
                                   guint          timeout_ms);
/* Runs whatever is ready now, without blocking. */
void      ct_drain_main_context   (void);

/* ---- plain requests ------------------------------------------------------ */

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonNode           *json;     /* NULL when the body is not JSON */
} CtResponse;

void        ct_response_free         (CtResponse *response);
JsonObject *ct_response_object       (CtResponse *response);   /* asserts an object */
/* Asserts an error response with @status and @code; returns its message. */
const char *ct_response_assert_error (CtResponse *response,
                                      guint       status,
                                      const char *code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtResponse, ct_response_free)

/* "{api}/{endpoint}" for "start", "{url}{path}" for a path starting with '/'. */
char       *ct_fixture_url            (CtFixture  *f,
                                       const char *endpoint);
/* A POST of @body (may be NULL) with @content_type (NULL: none). */
SoupMessage *ct_message_new_post      (CtFixture  *f,
                                       const char *endpoint,
                                       const char *content_type,
                                       const char *body,
                                       gssize      len);
SoupMessage *ct_message_new           (CtFixture  *f,
                                       const char *method,
                                       const char *endpoint);

/* Sends @msg and waits for the whole response. */
CtResponse *ct_send                   (CtFixture   *f,
                                       SoupMessage *msg);
/* POST @json as application/json. */
CtResponse *ct_post                   (CtFixture  *f,
                                       const char *endpoint,
                                       const char *json);
CtResponse *ct_post_printf            (CtFixture  *f,
                                       const char *endpoint,
                                       const char *format,
                                       ...) G_GNUC_PRINTF (3, 4);
CtResponse *ct_get                    (CtFixture  *f,
                                       const char *endpoint);

/* Many requests in flight at once: start them all, then wait for all. */
typedef struct _CtBatch CtBatch;

CtBatch    *ct_batch_new              (CtFixture   *f);
void        ct_batch_add              (CtBatch     *batch,
                                       SoupMessage *msg);
/* Waits for every response; returns them in the order they were added. */
GPtrArray  *ct_batch_wait             (CtBatch     *batch);
void        ct_batch_free             (CtBatch     *batch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtBatch, ct_batch_free)

/* ---- event streams ------------------------------------------------------- */

typedef struct {
  char *id;
  char *event;
  char *data;
} CtEvent;

typedef struct _CtEventStream CtEventStream;

/* Opens the order's event stream and waits for its response headers. With
 * @last_event_id it is sent as Last-Event-ID. A non-200 response is read in
 * full (see ct_event_stream_get_error_response()). */
CtEventStream *ct_event_stream_open      (CtFixture     *f,
                                          const char    *order_id,
                                          const char    *event_token,
                                          const char    *last_event_id);
guint          ct_event_stream_get_status  (CtEventStream *stream);
SoupMessageHeaders *ct_event_stream_get_headers (CtEventStream *stream);
/* The body of a refused stream, parsed. */
CtResponse    *ct_event_stream_get_error_response (CtEventStream *stream);
/* Every byte received so far. */
const char    *ct_event_stream_get_raw     (CtEventStream *stream);
GPtrArray     *ct_event_stream_get_events  (CtEventStream *stream);   /* CtEvent */
guint          ct_event_stream_get_n_comments (CtEventStream *stream);
const char    *ct_event_stream_get_comment (CtEventStream *stream,
                                            guint          i);
gint64         ct_event_stream_get_retry   (CtEventStream *stream);
gboolean       ct_event_stream_has_ended   (CtEventStream *stream);

/* Waits (bounded) until @n events arrived; FALSE if the stream ended or the
 * time ran out first. */
gboolean       ct_event_stream_wait_events (CtEventStream *stream,
                                            guint          n);
gboolean       ct_event_stream_wait_comments (CtEventStream *stream,
                                              guint          n);
/* Waits (bounded) for the server to end the stream. */
gboolean       ct_event_stream_wait_end    (CtEventStream *stream);
/* Cancels the request and forgets the stream. */
void           ct_event_stream_close       (CtEventStream *stream);

CtEvent       *ct_event_stream_get_event   (CtEventStream *stream,
                                            guint          i);
/* The event's data, parsed; asserts an object. Free with json_node_unref. */
JsonNode      *ct_event_parse_data         (const CtEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtEventStream, ct_event_stream_close)

/* ---- orders -------------------------------------------------------------- */

typedef struct {
  char  *order_id;
  char  *kind;
  char  *adapter_id;
  char  *claim_token;
  char  *claim_url;
  char  *desktop_token;
  char  *event_token;
  gint64 expires_at;
  char  *challenge_token;   /* after ct_order_claim () */
  char  *check_code;        /* after ct_order_read_check_code () */
  char  *message;           /* after ct_order_challenge () */
  guint8 seed[CROSSING_ED25519_SEED_BYTES];
  char  *public_key_hex;    /* after ct_order_approve () */
  char  *signature_hex;
} CtOrder;

void     ct_order_free             (CtOrder    *order);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtOrder, ct_order_free)

/* A fixed seed per @n, so tests can sign as "the same phone" again. */
void     ct_seed_for               (guint       n,
                                    guint8      seed[CROSSING_ED25519_SEED_BYTES]);
/* "ed25519:{publicKeyHex}" of the seed. */
char    *ct_ed25519_subject        (const guint8 seed[CROSSING_ED25519_SEED_BYTES]);

/* POST /start with {"kind": @kind} plus @extra_members (e.g.
 * "\"returnTo\":\"/x\"", or NULL); asserts 200. The order signs with seed 0. */
CtOrder *ct_order_start            (CtFixture  *f,
                                    const char *kind,
                                    const char *extra_members);
/* Each asserts success and records what the next step needs. */
void     ct_order_claim            (CtFixture  *f,
                                    CtOrder    *order);
/* Opens the event stream and takes the check code from the claimed event. */
void     ct_order_read_check_code  (CtFixture  *f,
                                    CtOrder    *order);
JsonNode *ct_order_challenge       (CtFixture  *f,
                                    CtOrder    *order);
/* Signs the message with the order's seed and adapter. */
void     ct_order_sign             (CtOrder    *order);
/* POST /approve with the signed proof and check code; returns the response. */
CtResponse *ct_order_send_approve  (CtFixture  *f,
                                    CtOrder    *order);
/* start is the caller's: claim, read the code, challenge, approve (200). */
void     ct_order_approve          (CtFixture  *f,
                                    CtOrder    *order);
CtResponse *ct_order_finalize      (CtFixture  *f,
                                    CtOrder    *order);

/* JSON member helpers that assert the type. */
const char *ct_json_string         (JsonObject *object,
                                    const char *member);
gint64      ct_json_int            (JsonObject *object,
                                    const char *member);
gboolean    ct_json_bool           (JsonObject *object,
                                    const char *member);
JsonObject *ct_json_object         (JsonObject *object,
                                    const char *member);

/* ---- request context (issue 14) ------------------------------------------ */

/* Writes a small city database to @path with tests/companion/make-test-geoip.pl
 * (Debian's libmaxmind-db-writer-perl), never a downloaded one. @networks:
 * "CIDR,ISO,COUNTRY-NAME,CITY" entries (CITY may be empty), NULL-terminated. */
void        ct_make_geoip_db       (const char        *path,
                                    const char *const *networks);

G_END_DECLS
