/* cmd_recipients_kube.h: `sealctl recipients --kubeconfig` and `-i` (see the .c). */
#ifndef SEALCTL_CMD_RECIPIENTS_KUBE_H
#define SEALCTL_CMD_RECIPIENTS_KUBE_H

/* 1 when argv asks for the kubeconfig or identity-file form. */
int sealctl_recipients_kube_wanted(int argc, char **argv);
int sealctl_cmd_recipients_kube(int argc, char **argv);

#endif
