"""Pages of the installation as a whole: the shell (dashboard, add music), Settings, System."""
