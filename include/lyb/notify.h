/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notify.h - the systemd readiness protocol (sd_notify(3)) without
 * libsystemd: one datagram to the socket named by $NOTIFY_SOCKET.
 *
 * lybfs sends "READY=1" once the mount is up and "STOPPING=1" when it
 * starts to unmount, so a Type=notify unit orders what needs /lyb after
 * it. Outside systemd ($NOTIFY_SOCKET unset) nothing is sent.
 *
 * Thread safety: may be called from any thread; keeps no state.
 */
#ifndef LYB_NOTIFY_H
#define LYB_NOTIFY_H

/*
 * Sends @state (e.g. "READY=1") to $NOTIFY_SOCKET: a path, or an abstract
 * socket when it starts with '@'. Returns 0 when sent or when there is no
 * socket to send to, else -errno (-ENAMETOOLONG, the sendto error).
 */
int lyb_notify(const char *state);

#endif
