"""Inspection tasks (抽查任务): the item list, the annual plan, scoped, joint and county draws."""
