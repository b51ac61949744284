// Trainer child-process entry. (Skeleton; filled by the host work.)
process.exit(0);
