//! Local hot backups: ids, META, SHA256SUMS, the backup directory, the write lock.
