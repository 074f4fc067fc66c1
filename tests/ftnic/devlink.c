// SPDX-License-Identifier: GPL-2.0
/*
 * devlink for the SmartNIC model (a model for tests; see ftnic.h): one
 * devlink instance per NIC ("platform/ftnic.N", on a platform device of
 * its own, e-switch mode switchdev) and one devlink port per representor,
 * of flavour "physical" for the uplink and "pcivf" for VF M's.
 *
 * With devlink ports, the kernel answers phys_port_name ("p0", "pf0vfM")
 * and phys_switch_id from the ports' attributes, and requires the
 * netdev's own ndo_get_phys_port_name and ndo_get_port_parent_id to
 * answer -EOPNOTSUPP (netdev.c does, for ports registered here).  With
 * devlink=0 the netdev ops answer instead, with the same values.
 */
#include <linux/platform_device.h>
#include <net/devlink.h>
#include "ftnic.h"

static int ftnic_devlink_eswitch_mode_get(struct devlink *devlink, u16 *mode)
{
	*mode = DEVLINK_ESWITCH_MODE_SWITCHDEV;
	return 0;
}

static const struct devlink_ops ftnic_devlink_ops = {
	.eswitch_mode_get = ftnic_devlink_eswitch_mode_get,
};

/*
 * Gives 'nic' a devlink instance.  Returns 0 or a negative errno; on
 * error nothing is left to undo.
 */
int ftnic_devlink_create(struct ftnic *nic)
{
	struct platform_device *pdev;
	struct devlink *devlink;

	pdev = platform_device_register_simple("ftnic", nic->id, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	devlink = devlink_alloc(&ftnic_devlink_ops, 0, &pdev->dev);
	if (!devlink) {
		platform_device_unregister(pdev);
		return -ENOMEM;
	}
	devlink_register(devlink);
	nic->pdev = pdev;
	nic->devlink = devlink;
	return 0;
}

/* Removes what ftnic_devlink_create() made, once every port is gone.
 * A NIC without devlink is a no-op. */
void ftnic_devlink_destroy(struct ftnic *nic)
{
	if (!nic->devlink)
		return;
	devlink_unregister(nic->devlink);
	devlink_free(nic->devlink);
	platform_device_unregister(nic->pdev);
	nic->devlink = NULL;
	nic->pdev = NULL;
}

/*
 * Registers the devlink port of 'port' (before its representor exists).
 * Returns 0 or a negative errno.  A NIC without devlink is a no-op.
 */
int ftnic_devlink_port_register(struct ftnic_port *port)
{
	struct ftnic *nic = port->nic;
	struct devlink_port *dl = &port->dl_port;
	struct devlink_port_attrs attrs = {};
	int err;

	if (!nic->devlink)
		return 0;
	attrs.switch_id.id_len = sizeof(nic->switch_id);
	memcpy(attrs.switch_id.id, nic->switch_id, sizeof(nic->switch_id));
	if (port->vf < 0) {
		attrs.flavour = DEVLINK_PORT_FLAVOUR_PHYSICAL;
		attrs.phys.port_number = 0;
		devlink_port_attrs_set(dl, &attrs);
	} else {
		dl->attrs = attrs;
		devlink_port_attrs_pci_vf_set(dl, 0, 0, port->vf, false);
	}
	err = devlink_port_register(nic->devlink, dl, port->vf + 1);
	if (err)
		return err;
	port->dl_registered = true;
	return 0;
}

/* Ties the registered devlink port of 'port' to its representor. */
void ftnic_devlink_port_set_netdev(struct ftnic_port *port)
{
	if (port->dl_registered)
		devlink_port_type_eth_set(&port->dl_port, port->rep);
}

/* Unties and unregisters the devlink port of 'port', if it has one.
 * Call before unregistering the representor, for the untying. */
void ftnic_devlink_port_unregister(struct ftnic_port *port)
{
	if (!port->dl_registered)
		return;
	devlink_port_type_clear(&port->dl_port);
	devlink_port_unregister(&port->dl_port);
	port->dl_registered = false;
}
