"""NetBox's limits: its rack constants and the field types of its models.

The snapshot's models (inventory/model.py) and rows (inventory/rows.py) bound their
fields with these, so whatever NetBox holds loads and whatever loads NetBox accepts.
"""

RACK_U_HEIGHT_MAX = 100  # RACK_U_HEIGHT_MAX
DEVICE_TYPE_U_HEIGHT_MAX = 999.5  # DeviceType.u_height: DecimalField(max_digits=4, decimal_places=1)
POSITION_MAX = RACK_U_HEIGHT_MAX + 0.5  # Device.position's MaxValueValidator
SMALL_INT_MAX = 32767  # PositiveSmallIntegerField / SmallIntegerField
INT_MAX = 2_147_483_647  # PositiveIntegerField: draws in W, commit rates in kbps
