// SPDX-License-Identifier: GPL-2.0
/*
 * ftnic module entry: parameters and the life cycle of each modelled
 * SmartNIC (a model for tests, not a driver for hardware; see ftnic.h).
 *
 *   instances=N   how many NICs (default 1)
 *   num_vfs=M     VFs per NIC (default 4)
 *   max_rules=R   size of each NIC's rule table (default 65536)
 *   pair=1        cable NIC 0's physical port to NIC 1's instead of to
 *                 ftnic0wire and ftnic1wire (needs instances >= 2)
 *   devlink=0     no devlink instance and ports (default 1): the
 *                 representors' netdev ops then name the ports, and
 *                 there are no sysfs files to remove or make VFs
 *   rules         read only: the rules in the NICs' tables now
 *
 * VFs come and go while it is loaded through sysfs files of each NIC's
 * platform device (sriov.c).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/rtnetlink.h>
#include "ftnic.h"

static unsigned int instances = 1;
module_param(instances, uint, 0444);
MODULE_PARM_DESC(instances, "number of modelled NICs (1-16)");

static unsigned int num_vfs = 4;
module_param(num_vfs, uint, 0444);
MODULE_PARM_DESC(num_vfs, "VFs per NIC (0-64)");

static unsigned int max_rules = 65536;
module_param(max_rules, uint, 0444);
MODULE_PARM_DESC(max_rules, "rules each NIC's table holds (1-1048576)");

static bool pair;
module_param(pair, bool, 0444);
MODULE_PARM_DESC(pair, "cable NIC 0's physical port to NIC 1's");

static bool devlink = true;
module_param(devlink, bool, 0444);
MODULE_PARM_DESC(devlink, "a devlink instance per NIC, a devlink port per representor");

/* The NICs this module made; module state, not per-NIC state. */
static struct ftnic **ftnic_nics;
static struct ftnic_indr ftnic_indr;	/* for VXLAN devices' blocks */
static bool ftnic_indr_registered;

/* rules (read only): the rules in all NICs' tables now, a file a
 * benchmark can poll without starting a process (read while the module
 * is loaded; the count is a snapshot, not taken under the rules' lock). */
static int ftnic_rules_get(char *buf, const struct kernel_param *kp)
{
	struct ftnic **nics = READ_ONCE(ftnic_nics);
	unsigned int i, n = 0;

	for (i = 0; nics && i < instances; i++)
		if (nics[i])
			n += READ_ONCE(nics[i]->n_rules);
	return sysfs_emit(buf, "%u\n", n);
}

static const struct kernel_param_ops ftnic_rules_ops = {
	.get = ftnic_rules_get,
};
module_param_cb(rules, &ftnic_rules_ops, NULL, 0444);
MODULE_PARM_DESC(rules, "rules in the NICs' tables now (read only)");

static void ftnic_port_init(struct ftnic *nic, struct ftnic_port *port, int vf)
{
	port->nic = nic;
	port->vf = vf;
	INIT_LIST_HEAD(&port->rules);
	INIT_LIST_HEAD(&port->masks);
	INIT_LIST_HEAD(&port->block_cbs);
}

/* Unregisters every netdev and devlink port 'nic' has (any subset may
 * exist). */
static void ftnic_unregister_netdevs(struct ftnic *nic)
{
	int i;

	ftnic_sriov_attrs_remove(nic);
	for (i = 0; i < nic->num_vfs; i++)
		ftnic_vf_remove(nic, i);
	ftnic_devlink_port_unregister(&nic->uplink);
	if (nic->uplink.rep)
		unregister_netdev(nic->uplink.rep);
	nic->uplink.rep = NULL;
	if (nic->wire)
		unregister_netdev(nic->wire);
	nic->wire = NULL;
}

static int ftnic_register_netdevs(struct ftnic *nic, bool with_wire)
{
	char name[IFNAMSIZ];
	struct net_device *dev;
	int i;

	int err;

	snprintf(name, sizeof(name), "ftnic%d", nic->id);
	err = ftnic_devlink_port_register(&nic->uplink);
	if (err)
		return err;
	dev = ftnic_netdev_create(nic, FTNIC_DEV_REP, &nic->uplink, name);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	nic->uplink.rep = dev;
	ftnic_devlink_port_set_netdev(&nic->uplink);

	if (with_wire) {
		snprintf(name, sizeof(name), "ftnic%dwire", nic->id);
		dev = ftnic_netdev_create(nic, FTNIC_DEV_WIRE, NULL, name);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		nic->wire = dev;
	}

	for (i = 0; i < nic->num_vfs; i++) {
		err = ftnic_vf_add(nic, i);
		if (err)
			return err;
	}
	return ftnic_sriov_attrs_add(nic);
}

static struct ftnic *ftnic_create(int id)
{
	struct ftnic *nic;
	int i;

	nic = kzalloc(sizeof(*nic), GFP_KERNEL);
	if (!nic)
		return NULL;
	nic->vfs = kcalloc(num_vfs, sizeof(*nic->vfs), GFP_KERNEL);
	if (num_vfs && !nic->vfs) {
		kfree(nic);
		return NULL;
	}
	nic->id = id;
	nic->num_vfs = num_vfs;
	nic->max_rules = max_rules;
	/* A bucket a rule when the table is full, at least 1,024. */
	nic->rule_hash_bits = max(10, order_base_2(max_rules));
	nic->rules_by_cookie = kvcalloc(1U << nic->rule_hash_bits,
					sizeof(*nic->rules_by_cookie), GFP_KERNEL);
	nic->rules_by_key = kvcalloc(1U << nic->rule_hash_bits,
				     sizeof(*nic->rules_by_key), GFP_KERNEL);
	if (!nic->rules_by_cookie || !nic->rules_by_key) {
		kvfree(nic->rules_by_cookie);
		kvfree(nic->rules_by_key);
		kfree(nic->vfs);
		kfree(nic);
		return NULL;
	}
	/* A locally administered, recognisable switch id per NIC. */
	memcpy(nic->switch_id, "\x02" "ftnic\0", 7);
	nic->switch_id[7] = id;
	mutex_init(&nic->rules_lock);
	mutex_init(&nic->vfs_lock);
	INIT_LIST_HEAD(&nic->decap_rules);
	ftnic_port_init(nic, &nic->uplink, -1);
	for (i = 0; i < num_vfs; i++)
		ftnic_port_init(nic, &nic->vfs[i], i);
	return nic;
}

/* Frees 'nic' once its netdevs are gone.  NULL is a no-op. */
static void ftnic_destroy(struct ftnic *nic)
{
	if (!nic)
		return;
	/* Unregistering the representors took their TC blocks down, which
	 * destroyed every offloaded rule; flush what a bug may have left. */
	ftnic_rules_flush(nic);
	ftnic_devlink_destroy(nic);
	mutex_destroy(&nic->rules_lock);
	mutex_destroy(&nic->vfs_lock);
	kvfree(nic->rules_by_cookie);
	kvfree(nic->rules_by_key);
	kfree(nic->vfs);
	kfree(nic);
}

static void ftnic_remove_all(void)
{
	unsigned int i;

	/* Decap rules go with the VXLAN blocks, while the NICs exist. */
	if (ftnic_indr_registered)
		ftnic_tunnel_indr_unregister(&ftnic_indr);
	ftnic_indr_registered = false;

	/* Stop the model's datapath first: once every transmit that may have
	 * seen dying == false is over, no packet moves between its netdevs
	 * (nor across the cable to a peer being torn down too). */
	for (i = 0; i < instances; i++)
		if (ftnic_nics[i])
			WRITE_ONCE(ftnic_nics[i]->dying, true);
	synchronize_net();
	for (i = 0; i < instances; i++)
		if (ftnic_nics[i])
			ftnic_unregister_netdevs(ftnic_nics[i]);
	for (i = 0; i < instances; i++)
		ftnic_destroy(ftnic_nics[i]);
	kfree(ftnic_nics);
	ftnic_nics = NULL;
}

static int __init ftnic_init(void)
{
	unsigned int i;
	int err;

	if (instances < 1 || instances > 16 || num_vfs > 64 ||
	    max_rules < 1 || max_rules > 1048576)
		return -EINVAL;
	if (pair && instances < 2)
		return -EINVAL;

	ftnic_nics = kcalloc(instances, sizeof(*ftnic_nics), GFP_KERNEL);
	if (!ftnic_nics)
		return -ENOMEM;
	for (i = 0; i < instances; i++) {
		ftnic_nics[i] = ftnic_create(i);
		if (!ftnic_nics[i]) {
			err = -ENOMEM;
			goto remove_all;
		}
	}
	if (pair) {
		ftnic_nics[0]->peer = ftnic_nics[1];
		ftnic_nics[1]->peer = ftnic_nics[0];
	}
	for (i = 0; i < instances; i++) {
		if (devlink) {
			err = ftnic_devlink_create(ftnic_nics[i]);
			if (err)
				goto remove_all;
		}
		err = ftnic_register_netdevs(ftnic_nics[i], !ftnic_nics[i]->peer);
		if (err)
			goto remove_all;
	}
	ftnic_indr.nics = ftnic_nics;
	ftnic_indr.n_nics = instances;
	err = ftnic_tunnel_indr_register(&ftnic_indr);
	if (err)
		goto remove_all;
	ftnic_indr_registered = true;
	pr_info("ftnic: %u modelled NIC(s) with %u VFs each, %u rules each; a model for tests, not hardware\n",
		instances, num_vfs, max_rules);
	return 0;

remove_all:
	ftnic_remove_all();
	return err;
}

static void __exit ftnic_exit(void)
{
	ftnic_remove_all();
}

module_init(ftnic_init);
module_exit(ftnic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ftnic: a model of a SmartNIC with an e-switch, SR-IOV and TC flower offload, for tests; not a hardware driver");
