/* config_int.h: internals shared by config.c and config_units.c. */
#ifndef SEALSYNC_CONFIG_INT_H
#define SEALSYNC_CONFIG_INT_H

#include <stddef.h>

#include <jansson.h>

#include "sealsync/config.h"

/* The unit keys config_units.c reads (health and ordering). */
#define CONFIG_UNIT_HEALTH_NKEYS 7
extern const char *const config_unit_health_keys[CONFIG_UNIT_HEALTH_NKEYS];

/*
 * Reads wait, healthChecks, dependsOn, interval, timeout, suspend and
 * targetNamespace of the unit mapping u into uc (name and namespace_ are
 * set already). On error, field gets the key's path under the unit
 * ("healthChecks[1].kind") and err the message; uc keeps what it read
 * (config_unit_health_release frees it).
 */
int config_unit_health_parse(struct ss_unit_config *uc, json_t *u, char *field, size_t cap,
			     struct ss_err *err);
void config_unit_health_release(struct ss_unit_config *uc);

/* dependsOn names existing units, no cycle (ss_config_unit_order). */
int config_units_validate(const struct ss_config *c, struct ss_err *err);

#endif
