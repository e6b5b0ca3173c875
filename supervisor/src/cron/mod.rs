//! Cron files in cronie's `/etc/cron.d` format.
