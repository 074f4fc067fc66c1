// SPDX-License-Identifier: GPL-2.0
/*
 * VFs of the SmartNIC model coming and going (a model for tests, not a
 * driver; see ftnic.h): making and removing one VF (its netdev, its
 * representor and its devlink port), and the sysfs attributes of the
 * model's platform device that do it while the module is loaded.
 *
 * The model is no PCI driver: it has no struct pci_dev, so the PCI core's
 * sriov_numvfs file, whose writes reach a driver's sriov_configure
 * callback, cannot exist for it.  Its platform device
 * (/sys/bus/platform/devices/ftnic.N, present with devlink=1) carries the
 * closest equivalents instead, as netdevsim's bus device does:
 *
 *   sriov_totalvfs  (read)  how many VFs the NIC can have (num_vfs=)
 *   sriov_numvfs    (read)  how many exist now
 *                   (write) what the PCI core's file does with
 *                   sriov_configure: 0 removes every VF; N > 0 makes VFs
 *                   0..N-1 when there are none; any other change is
 *                   refused (-EBUSY), as the PCI core refuses it
 *   vf_del          (write) M: removes VF M alone, the others stay
 *   vf_new          (write) M: makes VF M again
 *
 * vf_del and vf_new stand for what a real NIC does to one VF without
 * touching the others (a VF function hot-unplugged, or a port function
 * deleted with devlink): sriov_numvfs cannot do that, since the PCI core
 * only goes to zero and back.  A VF that goes takes its representor with
 * it, as a switchdev driver's vport teardown does: TC unbinds the
 * representor's block and destroys every rule on it.  Rules of other
 * ports that send to the removed VF stay in the table (as a NIC's rules
 * to a vport that went away stay until software deletes them); packets
 * they send there are dropped.  A VF made again gets new netdevs (new
 * ifindexes) with the same names.
 *
 * Touches the NIC's port array under nic->vfs_lock, and the ports'
 * netdev pointers that the datapath reads under RCU (eswitch.c).
 */
#include <linux/device.h>
#include <linux/platform_device.h>
#include <linux/rtnetlink.h>
#include "ftnic.h"

/*
 * Makes VF 'vf' of 'nic': its devlink port, its representor ftnicNrM and
 * its netdev ftnicNvfM.  Returns 0 or a negative errno; on error what was
 * made is removed again.  Takes the RTNL; the caller holds vfs_lock (or
 * is the module's init).
 */
int ftnic_vf_add(struct ftnic *nic, int vf)
{
	struct ftnic_port *port = &nic->vfs[vf];
	char name[IFNAMSIZ];
	struct net_device *dev;
	int err;

	if (port->rep)
		return -EEXIST;
	/* devlink refuses to register a port struct that still carries an
	 * earlier registration's state. */
	memset(&port->dl_port, 0, sizeof(port->dl_port));
	err = ftnic_devlink_port_register(port);
	if (err)
		return err;
	snprintf(name, sizeof(name), "ftnic%dr%d", nic->id, vf);
	dev = ftnic_netdev_create(nic, FTNIC_DEV_REP, port, name);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		goto undo;
	}
	WRITE_ONCE(port->rep, dev);
	ftnic_devlink_port_set_netdev(port);

	snprintf(name, sizeof(name), "ftnic%dvf%d", nic->id, vf);
	dev = ftnic_netdev_create(nic, FTNIC_DEV_VF, port, name);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		goto undo;
	}
	WRITE_ONCE(port->vf_dev, dev);
	nic->n_vfs_present++;
	return 0;

undo:
	ftnic_vf_remove(nic, vf);
	return err;
}

/*
 * Removes whatever of VF 'vf' of 'nic' exists: the datapath stops
 * delivering to its netdevs, then they and its devlink port go.  Takes
 * the RTNL; the caller holds vfs_lock (or is the module's init or exit).
 */
void ftnic_vf_remove(struct ftnic *nic, int vf)
{
	struct ftnic_port *port = &nic->vfs[vf];
	struct net_device *vf_dev = port->vf_dev;
	struct net_device *rep = port->rep;

	if (vf_dev && rep)
		nic->n_vfs_present--;
	WRITE_ONCE(port->vf_dev, NULL);
	WRITE_ONCE(port->rep, NULL);
	/* Every transmit that may have read the pointers is over. */
	synchronize_net();
	ftnic_devlink_port_unregister(port);
	if (vf_dev)
		unregister_netdev(vf_dev);
	if (rep)
		unregister_netdev(rep);
}

static struct ftnic *ftnic_of_dev(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t sriov_totalvfs_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", ftnic_of_dev(dev)->num_vfs);
}
static DEVICE_ATTR_RO(sriov_totalvfs);

static ssize_t sriov_numvfs_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct ftnic *nic = ftnic_of_dev(dev);
	int n;

	mutex_lock(&nic->vfs_lock);
	n = nic->n_vfs_present;
	mutex_unlock(&nic->vfs_lock);
	return sysfs_emit(buf, "%d\n", n);
}

/* As the PCI core's sriov_numvfs_store(): 0 removes every VF, N makes VFs
 * 0..N-1 when there are none, N equal to the present count is a no-op,
 * and anything else is -EBUSY (-ERANGE past sriov_totalvfs). */
static ssize_t sriov_numvfs_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct ftnic *nic = ftnic_of_dev(dev);
	unsigned int n;
	int i, err = 0;

	if (kstrtouint(buf, 0, &n))
		return -EINVAL;
	if (n > nic->num_vfs)
		return -ERANGE;
	mutex_lock(&nic->vfs_lock);
	if (n == nic->n_vfs_present) {
		/* Nothing to do. */
	} else if (n == 0) {
		for (i = 0; i < nic->num_vfs; i++)
			ftnic_vf_remove(nic, i);
	} else if (nic->n_vfs_present) {
		dev_warn(dev, "%d VFs already enabled; write 0 before enabling %u\n",
			 nic->n_vfs_present, n);
		err = -EBUSY;
	} else {
		for (i = 0; i < n && !err; i++)
			err = ftnic_vf_add(nic, i);
		for (i = 0; err && i < n; i++)
			ftnic_vf_remove(nic, i);
	}
	mutex_unlock(&nic->vfs_lock);
	return err ? err : count;
}
static DEVICE_ATTR_RW(sriov_numvfs);

/* Parses the VF index written to vf_del or vf_new: -ERANGE past the
 * NIC's VFs. */
static int ftnic_parse_vf(const struct ftnic *nic, const char *buf)
{
	unsigned int vf;

	if (kstrtouint(buf, 0, &vf))
		return -EINVAL;
	return vf < nic->num_vfs ? vf : -ERANGE;
}

static ssize_t vf_del_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct ftnic *nic = ftnic_of_dev(dev);
	int vf = ftnic_parse_vf(nic, buf);
	int err = 0;

	if (vf < 0)
		return vf;
	mutex_lock(&nic->vfs_lock);
	if (nic->vfs[vf].rep)
		ftnic_vf_remove(nic, vf);
	else
		err = -ENOENT;
	mutex_unlock(&nic->vfs_lock);
	return err ? err : count;
}
static DEVICE_ATTR_WO(vf_del);

static ssize_t vf_new_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct ftnic *nic = ftnic_of_dev(dev);
	int vf = ftnic_parse_vf(nic, buf);
	int err;

	if (vf < 0)
		return vf;
	mutex_lock(&nic->vfs_lock);
	err = ftnic_vf_add(nic, vf);
	mutex_unlock(&nic->vfs_lock);
	return err ? err : count;
}
static DEVICE_ATTR_WO(vf_new);

static struct attribute *ftnic_sriov_attrs[] = {
	&dev_attr_sriov_totalvfs.attr,
	&dev_attr_sriov_numvfs.attr,
	&dev_attr_vf_del.attr,
	&dev_attr_vf_new.attr,
	NULL,
};

static const struct attribute_group ftnic_sriov_group = {
	.attrs = ftnic_sriov_attrs,
};

/*
 * Puts the attributes on 'nic''s platform device, once its VFs exist.
 * A NIC without one (devlink=0) is a no-op.  Returns 0 or a negative
 * errno.
 */
int ftnic_sriov_attrs_add(struct ftnic *nic)
{
	int err;

	if (!nic->pdev)
		return 0;
	dev_set_drvdata(&nic->pdev->dev, nic);
	err = sysfs_create_group(&nic->pdev->dev.kobj, &ftnic_sriov_group);
	if (err)
		return err;
	nic->sriov_attrs = true;
	return 0;
}

/* Takes the attributes away; returns once no write to them is running,
 * so that nothing adds a VF during the NIC's teardown. */
void ftnic_sriov_attrs_remove(struct ftnic *nic)
{
	if (!nic->sriov_attrs)
		return;
	sysfs_remove_group(&nic->pdev->dev.kobj, &ftnic_sriov_group);
	nic->sriov_attrs = false;
}
