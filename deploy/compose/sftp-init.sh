#!/bin/bash
# Mounted into atmoz/sftp as /etc/sftp.d/10-closeout-keys; the image's entrypoint runs it
# after creating the user and before starting sshd.
# Keeps the host key and the client key pair in the shared "sftp-keys" volume (mounted at
# /keys), so the host key stays the same across container re-creation and the apps can pin
# it (SFTP_HOST_PUBLIC_KEY_PATH) and log in with the client key (SFTP_PRIVATE_KEY_PATH).
set -euo pipefail
user=closeout-sftp
home=/home/$user

[ -f /keys/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -C closeout-compose-sftp-host -f /keys/ssh_host_ed25519_key
[ -f /keys/client_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -C closeout-compose-sftp-client -f /keys/client_ed25519
# The apps run as the unprivileged "node" user and must be able to read the client key.
chmod 644 /keys/client_ed25519 /keys/client_ed25519.pub /keys/ssh_host_ed25519_key.pub
chmod 600 /keys/ssh_host_ed25519_key

cp /keys/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key
cp /keys/ssh_host_ed25519_key.pub /etc/ssh/ssh_host_ed25519_key.pub
chmod 600 /etc/ssh/ssh_host_ed25519_key

mkdir -p "$home/.ssh"
grep -qF "$(cut -d' ' -f2 /keys/client_ed25519.pub)" "$home/.ssh/authorized_keys" 2>/dev/null ||
  cat /keys/client_ed25519.pub >>"$home/.ssh/authorized_keys"
chown "$user" "$home/.ssh" "$home/.ssh/authorized_keys"
chmod 700 "$home/.ssh"
chmod 600 "$home/.ssh/authorized_keys"

# The user is chrooted to $home (root-owned, as sshd requires); files live in $home/data,
# i.e. /data as the SFTP client sees it (SFTP_REMOTE_ROOT). Dev-only: world-writable so
# that the sftp user and the app containers (which mount the same volume) can all write.
mkdir -p "$home/data/inbound" "$home/data/outbound"
chown -R "$user" "$home/data"
chmod -R a+rwX "$home/data"
