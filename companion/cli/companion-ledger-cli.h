/* companion-ledger-cli.h: `crossing-companion ledger`, the operator's view of the ledger
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "companion-admin-key.h"

G_BEGIN_DECLS

int companion_ledger_cli_main (int    argc,
                               char **argv);

G_END_DECLS
