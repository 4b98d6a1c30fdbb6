/* companion-test-pg.h: a throwaway PostgreSQL server for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * initdb into a new directory, then pg_ctl start with the socket in that
 * directory and no TCP at all; run as an unprivileged user when the test
 * runs as root (initdb and pg_ctl refuse root). A watchdog process, in a
 * session of its own, waits for the test to end however it ends (return,
 * failed assertion, signal) and then runs pg_ctl stop -m immediate and
 * removes the directory.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _CompanionTestPg CompanionTestPg;

/* G_IO_ERROR_NOT_SUPPORTED (skip the test, with the message) when
 * PostgreSQL is not installed or cannot run here; any other error is a
 * failure. */
CompanionTestPg *companion_test_pg_start           (GError          **error);
/* Stops the server and removes its directory. */
void             companion_test_pg_stop            (CompanionTestPg  *pg);
/* A libpq URI of the "postgres" database. */
const char      *companion_test_pg_get_uri         (CompanionTestPg  *pg);
/* The directory that holds the socket, and its port. */
const char      *companion_test_pg_get_socket_dir  (CompanionTestPg  *pg);
const char      *companion_test_pg_get_port        (CompanionTestPg  *pg);
/* How long initdb and pg_ctl start took, in microseconds. */
gint64           companion_test_pg_get_start_time  (CompanionTestPg  *pg);
/* Creates a new, empty database (blocking; for test setup) and returns
 * its URI. */
char            *companion_test_pg_create_database (CompanionTestPg  *pg,
                                                    GError          **error);
/* pg_ctl restart -m immediate, without blocking the main loop. */
void             companion_test_pg_restart_async   (CompanionTestPg  *pg,
                                                    GAsyncReadyCallback callback,
                                                    gpointer         user_data);
gboolean         companion_test_pg_restart_finish  (GAsyncResult     *result,
                                                    GError          **error);

G_END_DECLS
