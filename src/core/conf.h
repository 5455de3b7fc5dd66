/*
 * conf.h — kumo's one configuration file: thresholds and allow-lists of the
 * detections, organisation domains and the identity map, GeoIP databases.
 *
 * Where it is read from (first that exists): `--config FILE` (km_cli_conf),
 * $KUMO_CONFIG, STORE/kumo.conf. With none, every key has its documented
 * default. Format: INI, one `key = value` per line under `[section]`
 * headers; `#` or `;` starts a comment line; a key is addressed as
 * "section.key"; a list is comma-separated ("10.0.0.0/8, 192.168.0.0/16");
 * durations take s/m/h/d suffixes ("20m"); values may be quoted.
 *
 *     [spray]
 *     min_identities = 10        # distinct accounts failing from one source
 *     window = 20m
 *     [identity]
 *     domains = corp.test, example.org
 *     map = identities.csv
 *
 * Every key is declared once in a table of struct km_conf_key (Fluent Bit's
 * config_map): the table gives the default, the type and the one-line help
 * that `kumo config` and docs/config.md print, and a key the tables do not
 * declare is reported (a typo must not silently switch a detection off).
 * Modules register their table in km_conf_tables[] (conf_keys.c).
 */
#ifndef KM_CONF_H
#define KM_CONF_H

#include "core/km.h"

enum km_conf_type { KM_CONF_INT = 0, KM_CONF_NUM, KM_CONF_DUR, KM_CONF_STR, KM_CONF_LIST,
                    KM_CONF_BOOL };

struct km_conf_key {
    const char *key;          /* "spray.min_identities" */
    enum km_conf_type type;
    const char *dflt;         /* default as it would be written in the file */
    const char *help;         /* one line */
};

/* NULL-terminated list of NULL-key-terminated tables (conf_keys.c). */
extern const struct km_conf_key *const km_conf_tables[];

struct km_conf;

/*
 * Loads `path` (NULL: defaults only). must_exist = 0 treats a missing file
 * as empty. Returns KM_OK, KM_EIO (unreadable), KM_EUSAGE (syntax error, a
 * value of the wrong type, an undeclared key: err names file and line), or
 * KM_ELIMIT (file over 1 MiB, line over 64 KiB). The caller frees *out
 * with km_conf_free (also after an error: *out is NULL then).
 */
int km_conf_load(const char *path, int must_exist, struct km_conf **out, struct km_err *err);
/* Parses text[0..n) as if it were the file `name` (tests, `--set`). */
int km_conf_parse(const char *name, const char *text, size_t n, struct km_conf **out,
                  struct km_err *err);
void km_conf_free(struct km_conf *c);
/* Sets key = value on top of what was loaded (command-line overrides):
 * KM_OK or KM_EUSAGE for an undeclared key or a bad value. */
int km_conf_set(struct km_conf *c, const char *key, const char *value, struct km_err *err);
/* Path the configuration came from ("" for defaults only). */
const char *km_conf_path(const struct km_conf *c);

/* Typed getters. c may be NULL (defaults). An undeclared key aborts: it is
 * a bug in the caller, not a user error. */
int64_t km_conf_int(const struct km_conf *c, const char *key);
double km_conf_num(const struct km_conf *c, const char *key);
int64_t km_conf_dur_us(const struct km_conf *c, const char *key);   /* microseconds */
int km_conf_bool(const struct km_conf *c, const char *key);
const char *km_conf_str(const struct km_conf *c, const char *key);   /* never NULL */
/* A list's items (trimmed, non-empty), valid while c lives; returns count. */
size_t km_conf_list(const struct km_conf *c, const char *key, const char *const **items);
/* 1 when the key was set by the file or km_conf_set, 0 when it is the default. */
int km_conf_is_set(const struct km_conf *c, const char *key);
/* The declaration of a key, or NULL. */
const struct km_conf_key *km_conf_lookup(const char *key);

#endif
