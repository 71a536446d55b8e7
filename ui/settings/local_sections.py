"""Settings › Receipt text and Settings › Backups: settings of this installation (the TOML file
beside the store), saved all or nothing by ``app.back_office.settings.values`` on the database
worker (it audits the change), each refusal shown beside its field."""

from __future__ import annotations

from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLineEdit, QPlainTextEdit,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.back_office.settings.values import MAX_BACKUPS, save_values
from ui.back_office.context import PageContext
from ui.settings.form import Section, SettingsForm


class SettingsValuesSection(Section):
    """A section whose form's keys are settings; ``save<Name>`` saves them."""

    def __init__(self, title: str, name: str, context: PageContext,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, name, parent)
        self._context = context
        self.form = SettingsForm(self)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName(f"save_{name}")
        self.save_button.clicked.connect(self.save)
        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self.save_button)
        self.buttons.addStretch(1)

    def finish(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addLayout(self.buttons)
        layout.addWidget(self.status)
        self.form.fill({key: self._context.settings.get(key) for key in self.form.fields})

    def save(self) -> None:
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self._context.runner.run(save_values, self._context.store, self._context.settings,
                                 staff_id=self._context.user.id, values=self.form.values(),
                                 label=f"settings: save {self.objectName()}", owner=self,
                                 on_success=self._saved, on_failure=self._refused)

    def _saved(self, changed: dict) -> None:
        self.save_button.setEnabled(True)
        self.form.show_errors({})
        self.form.fill({key: self._context.settings.get(key) for key in self.form.fields})
        self.status.setText("Saved." if changed else "Nothing had changed.")

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.refused(self.form, error)


class ReceiptTextSection(SettingsValuesSection):
    """``receiptTextSection``: ``field_receipt.footer`` (printed at the foot of every receipt)."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__("Receipt text", "receiptTextSection", context, parent)
        footer = QPlainTextEdit()
        footer.setFixedHeight(64)
        self.form.add("receipt.footer", "Receipt footer", footer)
        self.finish()


class BackupSection(SettingsValuesSection):
    """``backupSection``: ``field_backup.dir`` with ``chooseBackupDir`` (a folder dialog) and
    ``field_backup.keep``; an empty folder means backups/ in the data directory."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__("Backups", "backupSection", context, parent)
        folder = QLineEdit()
        default = context.paths.backups if context.paths is not None else "the data directory"
        folder.setPlaceholderText(f"empty: {default}")
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setObjectName("chooseBackupDir")
        self.choose_button.clicked.connect(self.choose_folder)
        self.form.add("backup.dir", "Backup folder", folder, extra=self.choose_button)
        keep = QSpinBox()
        keep.setRange(0, MAX_BACKUPS)  # 0 is shown, and refused with its reason
        self.form.add("backup.keep", "Daily backups kept", keep)
        self.dialog: QFileDialog | None = None
        self.finish()

    def choose_folder(self) -> None:
        """A folder dialog, window-modal (the event loop carries on); the choice fills the field
        and is saved with Save like a typed one."""
        self.dialog = QFileDialog(self, "Backup folder", self.form.fields["backup.dir"].text())
        self.dialog.setObjectName("backupDirDialog")
        self.dialog.setFileMode(QFileDialog.FileMode.Directory)
        self.dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        self.dialog.fileSelected.connect(self.form.fields["backup.dir"].setText)
        self.dialog.open()
