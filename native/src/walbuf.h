// A SQLite VFS shim that coalesces the writes of a transaction to the WAL.
//
// SQLite writes each WAL frame with two calls (the 24-byte frame header, then
// the page), so a commit of n pages costs 2n pwrite calls. This VFS passes
// everything to another one (the default VFS, or the power-loss test seam)
// but keeps consecutive writes to a WAL file in memory and hands them on as
// one write. The buffer reaches the file (the page cache: no sync is added)
//   - inside the write that completes a commit frame, before it returns;
//   - before any other call on the WAL file (read, sync, truncate, size,
//     close, locks, file controls) and before a write that does not continue
//     the buffered run;
//   - before any call on the database file of the same connection, the
//     shared-memory calls (xShmMap, xShmLock, xShmBarrier, xShmUnmap)
//     included: SQLite publishes frames to other connections and processes
//     by updating the WAL index in shared memory, always behind an
//     xShmBarrier, and gives up its write lock with xShmLock, so no other
//     reader or writer can see the WAL region before the bytes are there.
// A connection's WAL file is found from its database file through the name
// SQLite passes to xOpen (sqlite3_filename_database of the WAL name is the
// database name pointer of the same pager); a WAL file whose database file is
// not known is written through without buffering.
//
// A write error of the combined write is returned by the call that caused it
// (the commit frame's write, xSync, ...); the buffered bytes are dropped then
// (they belonged to the transaction that fails with it).
#ifndef DINGOFS_SRC_WALBUF_H_
#define DINGOFS_SRC_WALBUF_H_

#include <cstdint>

namespace dingofs {

// Name of the shim over the VFS named `base` (nullptr: SQLite's default),
// registered on the first call for that base (thread-safe). nullptr when it
// cannot be registered.
const char* WalBufVfs(const char* base);

// Process-wide counters, for tests and benchmarks.
struct WalBufStats {
  uint64_t writes_in;   // WAL writes SQLite made through the shim
  uint64_t writes_out;  // writes handed to the VFS below for them
};
WalBufStats WalBufCounters();

}  // namespace dingofs

#endif  // DINGOFS_SRC_WALBUF_H_
