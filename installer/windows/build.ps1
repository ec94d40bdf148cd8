# Build TaskDeck for Windows: the frozen console, its --smoke, and the per-user installer.
#
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1 [-Python py] [-PythonArgs -3.11]
#              [-CertificateFile cert.pfx -CertificatePassword ****]
#
# The same steps as `make bundle` on Linux, with the same spec (installer\taskdeck.spec) and
# the same version source (pyproject.toml, read by installer\metadata.py). Needs Python 3.11
# (x64) and NSIS 3 (makensis on PATH or in Program Files); signing needs signtool (Windows SDK).
# Output: dist\taskdeck\ (the bundle), dist\TaskDeck-<version>-setup.exe, build\smoke\ (pictures).
param(
    [string]$Python = "py",
    [string[]]$PythonArgs = @("-3.11"),
    [string]$CertificateFile = "",
    [string]$CertificatePassword = "",
    [string]$TimestampUrl = "http://timestamp.digicert.com"
)
$ErrorActionPreference = "Stop"
$Repo = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $Repo

function Run([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe $($Arguments -join ' ') exited $LASTEXITCODE" }
}

# 1. A bundle-only environment: the console's extra and PyInstaller, nothing of the service.
$Venv = Join-Path $Repo "build\bundle-venv-win"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $VenvPython)) { Run $Python ($PythonArgs + @("-m", "venv", $Venv)) }
Run $VenvPython @("-m", "pip", "install", "-q", "--upgrade", "pip")
Run $VenvPython @("-m", "pip", "install", "-q", "-c", "constraints.txt", ".[console]", "pyinstaller>=6.10,<7")
Run $VenvPython @("-m", "pip", "uninstall", "-q", "-y", "taskdeck")

# 2. The bundle, and its size budget.
Run $VenvPython @("-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath", "dist",
                  "--workpath", "build\pyinstaller", "installer\taskdeck.spec")
Run $VenvPython @("installer\bundle_size.py", "dist\taskdeck")
$Version = (& $VenvPython installer\metadata.py version).Trim()

# 3. Signing (optional): the program before it goes into the installer.
$SignCommand = $null
if ($CertificateFile) {
    $SignTool = (Get-Command signtool.exe -ErrorAction SilentlyContinue).Source
    if (-not $SignTool) {
        $SignTool = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" |
            Sort-Object FullName | Select-Object -Last 1 -ExpandProperty FullName
    }
    $SignArgs = @("sign", "/f", $CertificateFile, "/p", $CertificatePassword, "/fd", "SHA256",
                  "/tr", $TimestampUrl, "/td", "SHA256")
    Run $SignTool ($SignArgs + @("dist\taskdeck\taskdeck.exe"))
    $SignCommand = "`"$SignTool`" $($SignArgs -join ' ')"
}

# 4. The frozen program's own check, on a snapshot made by the console's snapshot code, in a
#    folder whose name has a space and Chinese characters. A windowed program: its one line
#    is in smoke.txt, its verdict in the exit code.
$Smoke = Join-Path $Repo "build\smoke\张 伟"
New-Item -ItemType Directory -Force -Path $Smoke | Out-Null
$env:PYTHONPATH = $Repo
Run $VenvPython @("installer\smoke_snapshot.py", "$Smoke\smoke.tdsnap")
$proc = Start-Process -FilePath "dist\taskdeck\taskdeck.exe" -Wait -PassThru -ArgumentList @(
    "--smoke", "--snapshot", "`"$Smoke\smoke.tdsnap`"", "--screenshots", "`"$Smoke\shots`"")
Get-Content -Encoding UTF8 "$Smoke\shots\smoke.txt"
if ($proc.ExitCode -ne 0) { throw "taskdeck --smoke exited $($proc.ExitCode)" }

# 5. The installer.
$MakeNsis = (Get-Command makensis.exe -ErrorAction SilentlyContinue).Source
if (-not $MakeNsis) { $MakeNsis = "${env:ProgramFiles(x86)}\NSIS\makensis.exe" }
$Defines = (& $VenvPython installer\metadata.py nsis) -split "`r?`n" | Where-Object { $_ }
$Setup = Join-Path $Repo "dist\TaskDeck-$Version-setup.exe"
$NsisArgs = @("-V2", "-WX", "-INPUTCHARSET", "UTF8") + $Defines + @(
    "-DPAYLOAD=$Repo\dist\taskdeck", "-DOUTFILE=$Setup")
if ($SignCommand) { $NsisArgs += "-DSIGN_COMMAND=$SignCommand" }
Push-Location installer\windows
try { Run $MakeNsis ($NsisArgs + @("taskdeck.nsi")) } finally { Pop-Location }
Write-Host "built $Setup"
