/*
 * store_dir.h — directory helpers of the store, shared by store.c (opening:
 * sweeping tmp/) and writer.c (publishing: the segments directory's fsync,
 * crash leftovers). Private to src/store.
 */
#ifndef KM_STORE_DIR_H
#define KM_STORE_DIR_H

/* fsync() of a directory: 0, or -1 with errno set. */
int km_store_fsync_dir(const char *dir);
/* Deletes the entries of dir/sub for which keep(name, ctx) is 0 (all when
 * keep is NULL). */
void km_store_sweep(const char *dir, const char *sub, int (*keep)(const char *, void *),
                    void *ctx);

#endif
