; TaskDeck's Windows installer: a per-user install, no administrator rights needed.
;
;   makensis -DVERSION=0.1.0 -DVERSION4=0.1.0.0 -DPUBLISHER=TaskDeck
;            -DPAYLOAD=<dist\taskdeck> -DOUTFILE=<TaskDeck-0.1.0-setup.exe> taskdeck.nsi
;
; installer/windows/build.ps1 passes the defines from pyproject.toml (installer/metadata.py);
; `make test` compiles this script on Linux against a stand-in payload laid out like the bundle.
; Optional: -DSIGN_COMMAND="signtool sign ... " signs the installer and the uninstaller.
;
; - Installs into %LOCALAPPDATA%\Programs\TaskDeck, writes only under HKCU.
; - Start-menu shortcut always; desktop shortcut if chosen (unchosen by default).
; - A fixed identity (APP_ID, the Uninstall key's name): a newer version installs over the
;   older one in place (its program files are replaced, one entry in Apps & features).
; - The uninstaller keeps the user's profiles, settings, logs and keyring secrets unless its
;   "Also remove my profiles, settings and saved passwords" box is ticked.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "give -DVERSION=x.y.z (installer/metadata.py nsis prints the defines)"
!endif
!ifndef VERSION4
  !error "give -DVERSION4=x.y.z.0"
!endif
!ifndef PUBLISHER
  !define PUBLISHER "TaskDeck"
!endif
!ifndef PAYLOAD
  !define PAYLOAD "..\..\dist\taskdeck"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\..\dist\TaskDeck-${VERSION}-setup.exe"
!endif

!define APP "TaskDeck"
!define EXE "taskdeck.exe"
; Never change APP_ID: it is how a new version finds and replaces the installed one.
!define APP_ID "{6A1F2C3E-8B4D-4E7A-9C15-3D2B7E0F4A61}"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
; QSettings' place for the console's window, filters and language (organization\application).
!define SETTINGS_KEY "Software\TaskDeck"

!ifdef SIGN_COMMAND
  !finalize '${SIGN_COMMAND} "%1"' = 0
  !uninstfinalize '${SIGN_COMMAND} "%1"' = 0
!endif

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"

Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=0 "ProductName" "${APP}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "FileDescription" "${APP} ${VERSION} setup"

!define MUI_ICON "taskdeck.ico"
!define MUI_UNICON "taskdeck.ico"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

LangString SEC_APP ${LANG_ENGLISH} "TaskDeck"
LangString SEC_APP ${LANG_SIMPCHINESE} "TaskDeck"
LangString SEC_DESKTOP ${LANG_ENGLISH} "Desktop shortcut"
LangString SEC_DESKTOP ${LANG_SIMPCHINESE} "桌面快捷方式"
LangString UNSEC_APP ${LANG_ENGLISH} "TaskDeck program"
LangString UNSEC_APP ${LANG_SIMPCHINESE} "TaskDeck 程序"
LangString UNSEC_DATA ${LANG_ENGLISH} "Also remove my profiles, settings, logs and saved passwords"
LangString UNSEC_DATA ${LANG_SIMPCHINESE} "同时删除我的配置文件、设置、日志和已保存的密码"

; The installer speaks the language of Windows' interface: Simplified Chinese or English.

Section "!$(SEC_APP)" SecApp
  SectionIn RO
  SetShellVarContext current
  ; An older version's program files go first, so none of them outlives the upgrade. The
  ; user's data is not here but in %APPDATA%\TaskDeck and %LOCALAPPDATA%\TaskDeck.
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section /o "$(SEC_DESKTOP)" SecDesktop
  SetShellVarContext current
  CreateShortcut "$DESKTOP\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
SectionEnd

; Runs first when ticked: the program still exists, and reads the profiles to find the
; keyring entries (Windows Credential Manager) to delete before the profiles go.
Section /o "un.$(UNSEC_DATA)" UnSecData
  SetShellVarContext current
  ExecWait '"$INSTDIR\${EXE}" --forget-secrets' $0
  DetailPrint "taskdeck --forget-secrets: $0"
  RMDir /r "$APPDATA\${APP}"
  RMDir /r "$LOCALAPPDATA\${APP}"
  DeleteRegKey HKCU "${SETTINGS_KEY}"
SectionEnd

Section "!un.$(UNSEC_APP)" UnSecApp
  SectionIn RO
  SetShellVarContext current
  Delete "$SMPROGRAMS\${APP}.lnk"
  Delete "$DESKTOP\${APP}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
