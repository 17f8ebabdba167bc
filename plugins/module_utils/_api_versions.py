# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The api-version of every Azure Resource Manager request the collection sends, in one place.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Azure Backup (Microsoft.RecoveryServices) in the vault's own region.
BACKUP = "2024-04-01"
# Azure Backup's passive stamp in the secondary region (cross-region restore).
CRR = "2023-01-15"
# The Recovery Services vault resource itself.
VAULT = "2023-04-01"
# Subscription locations (paired regions).
LOCATIONS = "2022-12-01"
# Target resources read by the pre-flight checks.
RESOURCE_GROUP = "2021-04-01"
STORAGE = "2023-01-01"
COMPUTE = "2024-03-01"
NETWORK = "2023-09-01"
MANAGED_IDENTITY = "2023-01-31"
# The Tags API ({resource id}/providers/Microsoft.Resources/tags/default) and resource group listings.
TAGS = "2021-04-01"
