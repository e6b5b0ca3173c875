*** Settings ***
Documentation       What the admin does besides the UI: bulk import from CSV, the telemetry
...                 counters, the generated cron files, exclusion mode, the vmail secret and
...                 stopping a running sync by hand.
Library             Collections
Resource            imapsync.resource
Suite Setup         Use the installed modules
Suite Teardown      Delete every task
Test Tags           helpers


*** Variables ***
${CSV_HEADER}       localusername,remoteusername,remotepassword,remotehostname,remoteport,security
# TEST-NET-1 (RFC 5737): never routed, so a connection to it hangs until its timeout.
${BLACKHOLE}        192.0.2.1


*** Test Cases ***
Import two tasks from a CSV file
    [Tags]    csv
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    0    msg=the suite expects no task left by others
    ${csv} =    CSV with rows
    ...    ${LOCAL_USER},${REMOTE_USER},"${PASSWORD}",${MAIL_HOST},143,tls
    ...    ${SENDER},${REMOTE_USER},"${PASSWORD}",${MAIL_HOST},993,ssl
    ${output}    ${rc} =    Import tasks from CSV    ${csv}
    Should Be Equal As Integers    ${rc}    0    msg=the import failed:\n${output}
    Should Contain    ${output}    2 created
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    2
    ${id} =    Id of the task syncing    ${LOCAL_USER}    ${REMOTE_USER}
    Set Suite Variable    ${IMPORTED_TASK}    ${id}

Imported tasks get ids that get-log accepts
    [Tags]    csv
    @{tasks} =    List tasks
    FOR    ${task}    IN    @{tasks}
        Should Match Regexp    ${task}[task_id]    ^[a-z0-9]{6}$
    END

Imported tasks have the CSV values and the defaults
    [Tags]    csv
    @{tasks} =    List tasks
    ${by_user} =    Evaluate    {task['localuser']: task for task in $tasks}
    Should Be Equal    ${by_user}[${LOCAL_USER}][security]    tls
    Should Be Equal    ${by_user}[${LOCAL_USER}][remoteport]    143
    Should Be Equal    ${by_user}[${SENDER}][security]    ssl
    Should Be Equal    ${by_user}[${SENDER}][remoteport]    993
    FOR    ${task}    IN    @{tasks}
        Should Be Equal    ${task}[remoteusername]    ${REMOTE_USER}
        Should Be Equal    ${task}[remotehostname]    ${MAIL_HOST}
        Should Be Equal    ${task}[foldersynchronization]    all
        Should Be Equal    ${task}[cron]    ${EMPTY}
        Should Be Equal    ${task}[exclude]    ${EMPTY}
        Should Be Equal    ${task}[delete_local]    ${FALSE}
        Should Be Equal    ${task}[delete_remote]    ${FALSE}
        Should Be Equal    ${task}[sieve_enabled]    ${FALSE}
        Should Be Equal As Integers    ${task}[delete_remote_older]    0
    END

A row the remote server refuses creates nothing
    [Tags]    csv
    ${csv} =    CSV with rows    ${SENDER},${LOCAL_USER},"not-the-password",${MAIL_HOST},143,tls
    ${output}    ${rc} =    Import tasks from CSV    ${csv}
    Should Be Equal As Integers    ${rc}    1    msg=a failed row must fail the import
    Should Contain    ${output}    refused the user or password
    Should Contain    ${output}    ${LOCAL_USER}@${MAIL_HOST}:143
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    2

A CSV without the security column is refused
    [Tags]    csv
    ${csv} =    Catenate    SEPARATOR=\n
    ...    localusername,remoteusername,remotepassword,remotehostname,remoteport
    ...    ${SENDER},${LOCAL_USER},"${PASSWORD}",${MAIL_HOST},143\n
    ${output}    ${rc} =    Import tasks from CSV    ${csv}
    Should Be Equal As Integers    ${rc}    1
    Should Contain    ${output}    Missing
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    2

A CSV with a port that is not a number is refused
    [Tags]    csv
    ${csv} =    CSV with rows    ${SENDER},${LOCAL_USER},"${PASSWORD}",${MAIL_HOST},imap,tls
    ${output}    ${rc} =    Import tasks from CSV    ${csv}
    Should Not Be Equal As Integers    ${rc}    0
    Should Contain    ${output}    Invalid port number
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    2

Importing the same rows again skips them, whatever their case
    [Documentation]    Duplicates are found on (local user, remote user, remote host) in any
    ...    case; port and security do not matter.
    [Tags]    csv
    ${csv} =    CSV with rows
    ...    ${LOCAL_USER},${REMOTE_USER},"${PASSWORD}",${MAIL_HOST},143,tls
    ...    ${{ $SENDER.upper() }},${{ $REMOTE_USER.upper() }},"${PASSWORD}",${MAIL_HOST},143,tls
    ${output}    ${rc} =    Import tasks from CSV    ${csv}
    Should Be Equal As Integers    ${rc}    0    msg=skipped rows are not errors:\n${output}
    Should Contain    ${output}    Skipped
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    2

Check mode points existing tasks to --update
    [Tags]    csv
    ${csv} =    CSV with rows    ${LOCAL_USER},${REMOTE_USER},"${PASSWORD}",${MAIL_HOST},993,ssl
    ${output}    ${rc} =    Import tasks from CSV    ${csv}    -c
    Should Be Equal As Integers    ${rc}    0
    Should Contain    ${output}    already syncs
    Should Contain    ${output}    --update
    Task field should be    ${IMPORTED_TASK}    remoteport    143

A row repeated in the file is imported once
    [Tags]    csv
    ${csv} =    CSV with rows
    ...    ${SENDER},${LOCAL_USER},"${PASSWORD}",${MAIL_HOST},143,tls
    ...    ${SENDER},${LOCAL_USER},"${PASSWORD}",${MAIL_HOST},143,tls
    ${output}    ${rc} =    Import tasks from CSV    ${csv}
    Should Contain    ${output}    appears twice in this file
    Should Contain    ${output}    1 created
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    3

Update mode changes port and security in place
    [Documentation]    The row is spelled in upper case: the stored task keeps its id and the
    ...    stored spelling of the users, so its files keep their names.
    [Tags]    csv
    ${csv} =    CSV with rows
    ...    ${{ $LOCAL_USER.upper() }},${{ $REMOTE_USER.upper() }},"${PASSWORD}",${MAIL_HOST},993,ssl
    ${output}    ${rc} =    Import tasks from CSV    ${csv}    --update
    Should Be Equal As Integers    ${rc}    0    msg=the update failed:\n${output}
    Should Contain    ${output}    1 updated
    ${task} =    Task properties    ${IMPORTED_TASK}
    Should Be Equal    ${task}[remoteport]    993
    Should Be Equal    ${task}[security]    ssl
    Should Be Equal    ${task}[localuser]    ${LOCAL_USER}
    Should Be Equal    ${task}[remoteusername]    ${REMOTE_USER}
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    3

A refused update keeps the stored task and password
    [Tags]    csv
    ${pwd_file} =    Set Variable    imapsync/${LOCAL_USER}_${IMPORTED_TASK}.pwd
    ${digest} =    Digest of module state file    ${pwd_file}
    ${csv} =    CSV with rows    ${LOCAL_USER},${REMOTE_USER},"not-the-password",${MAIL_HOST},143,tls
    ${output}    ${rc} =    Import tasks from CSV    ${csv}    --update
    Should Be Equal As Integers    ${rc}    1
    Should Contain    ${output}    refused the user or password
    ${after} =    Digest of module state file    ${pwd_file}
    Should Be Equal    ${after}    ${digest}    msg=the refused update replaced the stored password
    ${task} =    Task properties    ${IMPORTED_TASK}
    Should Be Equal    ${task}[remoteport]    993
    Should Be Equal    ${task}[security]    ssl
    [Teardown]    Delete every task

Get-facts counts the tasks by shape
    [Tags]    facts
    Create sync task    facta1    folders=inbox    sieve=${TRUE}    cron=5m
    Create sync task    factb1    delete_remote=${TRUE}    older=${5}
    Create sync task    factc1    folders=inbox    delete_remote=${TRUE}
    ${facts} =    Run task    module/${IMAPSYNC_ID}/get-facts
    Should Be Equal As Integers    ${facts}[tasks_total_count]    3
    Should Be Equal As Integers    ${facts}[tasks_delete_count]    2
    Should Be Equal As Integers    ${facts}[tasks_delete_older_count]    1
    Should Be Equal As Integers    ${facts}[tasks_inbox_count]    2
    Should Be Equal As Integers    ${facts}[tasks_inbox_and_delete_count]    1
    Should Be Equal As Integers    ${facts}[tasks_cron_enabled_count]    1
    Should Be Equal As Integers    ${facts}[tasks_sieve_enabled_count]    1

A task every five minutes gets its cron file
    [Documentation]    MAIL_HOST is in the file because cron jobs do not inherit the
    ...    container's environment.
    [Tags]    cron
    ${cron} =    Module state file    cron/${LOCAL_USER}_facta1.cron
    Should Contain    ${cron}    MAIL_HOST=${MAIL_HOST}
    Should Contain    ${cron}    */5 * * * * root /usr/local/bin/syncctl start ${LOCAL_USER}_facta1

A task every two hours runs at minute 1
    [Documentation]    An empty remotepassword keeps the stored one, so the edit needs none.
    [Tags]    cron
    Create sync task    factb1    delete_remote=${TRUE}    older=${5}    cron=2h    password=${EMPTY}
    ${cron} =    Module state file    cron/${LOCAL_USER}_factb1.cron
    Should Contain    ${cron}    MAIL_HOST=${MAIL_HOST}
    Should Contain    ${cron}    1 */2 * * *${SPACE * 2}root /usr/local/bin/syncctl start ${LOCAL_USER}_factb1

The cron files are rebuilt right when the service restarts
    [Documentation]    The service regenerates every task's cron file when it starts; each
    ...    file must keep its own schedule and task name, hours included.
    [Tags]    cron
    Run as the imapsync module    systemctl --user restart imapsync.service
    Wait Until Keyword Succeeds    1 minute    2s    Run syncctl on the node    list
    ${five_minutes} =    Module state file    cron/${LOCAL_USER}_facta1.cron
    Should Contain    ${five_minutes}    */5 * * * * root /usr/local/bin/syncctl start ${LOCAL_USER}_facta1
    ${two_hours} =    Module state file    cron/${LOCAL_USER}_factb1.cron
    Should Contain    ${two_hours}    1 */2 * * *${SPACE * 2}root /usr/local/bin/syncctl start ${LOCAL_USER}_factb1
    Module state file should not exist    cron/${LOCAL_USER}_factc1.cron
    [Teardown]    Delete every task

Exclusion mode leaves out the listed folders
    [Tags]    exclusion
    Create sync task    exclu1    folders=exclusion    exclude=Junk,Drafts
    Wait for a successful sync    exclu1
    Task field should be    exclu1    exclude    ,Junk,Drafts
    ${log} =    Read the task log    exclu1
    Should Contain    ${log}    Excluding folders matching pattern ^Shared(/.*)?$|^Public(/.*)?$|Junk|Drafts
    [Teardown]    Delete sync task    exclu1

The vmail master secret is in place
    [Documentation]    Fetched from the Mail module at every service start; read only by
    ...    its owner. Its content is never printed.
    [Tags]    secret
    Run as the imapsync module    test -s imapsync/vmail.pwd
    ${mode} =    Run as the imapsync module    stat -c %a imapsync/vmail.pwd
    Should Be Equal    ${mode}    600

Stopping a running sync keeps the last result
    [Documentation]    A manual stop is not a result: .status keeps the run before it.
    [Tags]    stop
    Create sync task    stopt1
    ${first} =    Wait for a successful sync    stopt1
    # create-task checks the login, so the host can only be pointed at the black hole afterwards.
    Run as the imapsync module
    ...    sed -i 's/^REMOTEHOSTNAME=.*/REMOTEHOSTNAME=${BLACKHOLE}/' imapsync/${LOCAL_USER}_stopt1.env
    Start sync task    stopt1
    Wait until task field is    stopt1    service_running    ${TRUE}    timeout=30s
    ${status} =    Run in the imapsync container    syncctl status ${LOCAL_USER}_stopt1
    Should Be Equal    ${status}    Running
    Stop sync task    stopt1
    ${task} =    Wait until task field is    stopt1    service_running    ${FALSE}    timeout=30s
    Should Be Equal    ${task}[last_sync_timestamp]    ${first}[last_sync_timestamp]
    Should Be Equal    ${task}[last_sync_exit_code]    ${first}[last_sync_exit_code]

Stopping a stopped task is harmless
    [Tags]    stop
    Stop sync task    stopt1
    [Teardown]    Delete sync task    stopt1


*** Keywords ***
CSV with rows
    [Documentation]    The CSV header and ``@{rows}``, one per line.
    [Arguments]    @{rows}
    ${csv} =    Catenate    SEPARATOR=\n    ${CSV_HEADER}    @{rows}
    RETURN    ${csv}\n

Id of the task syncing
    [Documentation]    The id of the one task that syncs ``${remoteuser}`` into ``${localuser}``.
    [Arguments]    ${localuser}    ${remoteuser}
    @{tasks} =    List tasks
    @{ids} =    Create List
    FOR    ${task}    IN    @{tasks}
        IF    $task['localuser'] == $localuser and $task['remoteusername'] == $remoteuser
            Append To List    ${ids}    ${task}[task_id]
        END
    END
    Length Should Be    ${ids}    1    msg=expected one task ${remoteuser} -> ${localuser}: ${ids}
    RETURN    ${ids}[0]
