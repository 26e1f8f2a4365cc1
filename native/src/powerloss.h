// Test seam for the power-loss tests (DINGOFS_TEST_FAULT=drop_unsynced): a
// SQLite VFS that passes everything to the default one but remembers, per
// file, what each write and truncate replaced since the file's last sync.
// PowerLossRollback() then puts back what was there before every write that
// no sync covered, as if those writes had never reached the disk: the store
// looks as it would after a power failure at that instant.
//
// Never used outside that seam. The rollback assumes no connection of this
// process and no other process has the store open any more.
#ifndef DINGOFS_SRC_POWERLOSS_H_
#define DINGOFS_SRC_POWERLOSS_H_

#include <string>

namespace dingofs {

// Name of the VFS, registered by the first call (thread-safe). nullptr when
// it cannot be registered.
const char* PowerLossVfs();

// Undoes every write and truncate no sync covered, on the store file `db`
// and its journal (`db`-wal), newest first, and empties its shared-memory
// index (`db`-shm: rebuilt from the journal by the next opener). Returns 0 or
// -errno.
int PowerLossRollback(const std::string& db);

}  // namespace dingofs

#endif  // DINGOFS_SRC_POWERLOSS_H_
