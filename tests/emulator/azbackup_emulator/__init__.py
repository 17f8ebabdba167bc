"""A local, stateful emulator of Azure Resource Manager + Azure AD for Azure Backup VM restore
(primary region and cross-region restore)."""

from .app import Emulator
from .control import Control
from .world import WORLDS_DIR

__all__ = ["Emulator", "Control", "WORLDS_DIR"]
__version__ = "1.0.0"
