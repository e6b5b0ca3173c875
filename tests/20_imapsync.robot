*** Settings ***
Documentation       The main path of the module: install it, bind it to the Mail module, move
...                 five messages from u3 to u2 with a scheduled task that deletes them on the
...                 remote side, and read back what the actions report (tasks, folder counts,
...                 status, logs); then get-log's input checks and the Public/Shared exclusion.
Resource            imapsync.resource
Suite Setup         Use the installed Mail module
Test Tags           imapsync


*** Variables ***
${MAIN_TASK}            28ofi1
${SHARED_TASK}          public_shared_test
${PUBLIC_MAILBOX}       imapsynctest


*** Test Cases ***
Install the imapsync module
    [Tags]    install
    ${output} =    Run on the node    add-module ${IMAGE_URL} 1
    # add-module prints the task output as a Python dict, not as JSON.
    ${module} =    Evaluate    ast.literal_eval($output)    modules=ast
    Should Not Be Empty    ${module}[module_id]
    Set Global Variable    ${IMAPSYNC_ID}    ${module}[module_id]

Offer the Mail module as mail server
    [Tags]    configure
    ${choice} =    Wait Until Keyword Succeeds    1 minute    2s    Mail server choice should be offered
    ${uuid}    ${host} =    Split String    ${choice}    ,
    Set Suite Variable    ${MAIL_SERVER_UUID}    ${uuid}
    Set Global Variable    ${MAIL_HOST}    ${host}

Configure the module with the offered mail server
    [Tags]    configure
    Run task    module/${IMAPSYNC_ID}/configure-module
    ...    {"mail_host": "${MAIL_HOST}", "mail_server": "${MAIL_SERVER_UUID}"}
    ${config} =    Run task    module/${IMAPSYNC_ID}/get-configuration
    Should Be Equal    ${config}[mail_host]    ${MAIL_HOST}
    Should Be Equal    ${config}[mail_server]    ${MAIL_SERVER_UUID}
    Should Not Be Empty    ${config}[mail_server_URL][0][value]

The container runs the supervisor as its first process
    [Tags]    rewrite
    ${command} =    Wait Until Keyword Succeeds    1 minute    2s
    ...    Run in the imapsync container    cat /proc/1/cmdline
    Should Contain    ${command}    imapsync-supervisor
    ${tasks} =    Run syncctl on the node    list --json
    ${tasks} =    Evaluate    json.loads($tasks)    modules=json
    Should Be Empty    ${tasks}    msg=a fresh module must have no task

The worker sandbox holds inside the container
    [Documentation]    The check applies the worker's sandbox, then tries to open a file and to
    ...    run a program; exit 0 means both were refused.
    [Tags]    rewrite    security
    ${report} =    Run in the imapsync container    imapsync-worker --sandbox-check
    ${report} =    Evaluate    json.loads($report)    modules=json
    Log    ${report}

Send five messages to u3
    [Tags]    sync
    Send messages    ${REMOTE_USER}    5
    Wait until message count is    ${REMOTE_USER}    5

A wrong remote password is refused and leaves nothing behind
    [Documentation]    create-task logs in on both sides before it keeps a task; a refused
    ...    login exits 2 with the validation error bad_user_credentials and removes the new
    ...    task's files.
    [Tags]    rewrite    validation
    ${errors} =    Create sync task    badpw1    password=wrong-password    rc_expected=2
    Should Be Equal    ${errors}[0][field]    createTask
    Should Be Equal    ${errors}[0][error]    bad_user_credentials
    Task should not be listed    badpw1
    Module state file should not exist    imapsync/${LOCAL_USER}_badpw1.env
    Module state file should not exist    imapsync/${LOCAL_USER}_badpw1.pwd

Create a scheduled task moving u3 into u2
    [Tags]    sync
    Create sync task    ${MAIN_TASK}    cron=5m    delete_remote=${TRUE}

List-tasks returns what create-task received
    [Tags]    sync
    ${task} =    Task properties    ${MAIN_TASK}
    Should Be Equal    ${task}[task_id]    ${MAIN_TASK}
    Should Be Equal    ${task}[localuser]    ${LOCAL_USER}
    Should Be Equal    ${task}[remoteusername]    ${REMOTE_USER}
    Should Be Equal    ${task}[remotehostname]    ${MAIL_HOST}
    Should Be String    ${task}[remoteport]    msg=remoteport must stay a string for the UI
    Should Be Equal    ${task}[remoteport]    143
    Should Be Equal    ${task}[security]    tls
    Should Be Equal    ${task}[delete_local]    ${FALSE}
    Should Be Equal    ${task}[delete_remote]    ${TRUE}
    Should Be Equal As Integers    ${task}[delete_remote_older]    0
    Should Be Equal    ${task}[foldersynchronization]    all
    Should Be Equal    ${task}[cron]    5m
    Should Be Equal    ${task}[sieve_enabled]    ${FALSE}
    Should Be Equal    ${task}[exclude]    ${EMPTY}
    Should Be Equal    ${task}[remotepassword]    ${EMPTY}    msg=list-tasks must never return a password
    Should Be True    isinstance($task['service_running'], bool)

The five messages move from u3 to u2
    [Tags]    sync
    Wait until message count is    ${LOCAL_USER}    5
    Wait until message count is    ${REMOTE_USER}    0

The run is recorded within a minute
    [Tags]    sync
    ${task} =    Wait for a successful sync    ${MAIN_TASK}    timeout=1 minute
    Should Be True    int($task['last_sync_timestamp']) > 0
    Should Be Equal    ${task}[has_log]    ${TRUE}
    Should Be Equal    ${task}[progress]    ${NONE}    msg=a stopped task has no live progress

The scheduled task has its cron file
    [Tags]    sync    cron
    ${cron} =    Module state file    cron/${LOCAL_USER}_${MAIN_TASK}.cron
    Should Contain    ${cron}    MAIL_HOST=${MAIL_HOST}
    Should Contain    ${cron}    */5 * * * * root /usr/local/bin/syncctl start ${LOCAL_USER}_${MAIN_TASK}

Syncctl reports the task on the node and in the container
    [Tags]    rewrite    syncctl
    ${listing} =    Run syncctl on the node    list
    Should Contain    ${listing}    ${LOCAL_USER}_${MAIN_TASK}
    ${tasks} =    Run syncctl on the node    list --json
    ${tasks} =    Evaluate    {t['task']: t for t in json.loads($tasks)}    modules=json
    Should Be Equal    ${tasks}[${LOCAL_USER}_${MAIN_TASK}][last_sync_exit_code]    ${0}
    ${followed} =    Run syncctl on the node    progress ${LOCAL_USER}_${MAIN_TASK} --json
    ${last} =    Evaluate    json.loads($followed.splitlines()[-1])    modules=json
    Should Be Equal    ${last}[state]    stopped
    ${status} =    Run in the imapsync container    syncctl status ${LOCAL_USER}_${MAIN_TASK}
    Should Be Equal    ${status}    Stopped

List-informations compares both sides
    [Documentation]    host1 is the emptied remote account, host2 the local one with the five
    ...    messages; Public/Shared are outside the counts.
    [Tags]    sync
    ${info} =    Run task    module/${IMAPSYNC_ID}/list-informations
    ...    {"localuser": "${LOCAL_USER}", "task_id": "${MAIN_TASK}"}
    Should Be Equal    ${info}[status]    ${TRUE}
    Should Be Equal As Integers    ${info}[host1Folders]    3
    Should Be Equal As Integers    ${info}[host1Messages]    0
    Should Be Equal As Integers    ${info}[host1Sizes]    0
    Should Be Equal As Integers    ${info}[host2Folders]    3
    Should Be Equal As Integers    ${info}[host2Messages]    5
    Should Be True    7000 <= int($info['host2Sizes']) < 8000
    ...    msg=five test messages weigh 7000-8000 bytes, not ${info}[host2Sizes]

Get-log returns the last run
    [Tags]    log
    ${result} =    Run task    module/${IMAPSYNC_ID}/get-log
    ...    {"task_id": "${MAIN_TASK}", "localuser": "${LOCAL_USER}"}
    Should Be Equal    ${result}[truncated]    ${FALSE}
    Should Contain    ${result}[log_content]    Messages transferred
    Should Contain    ${result}[log_content]    Exiting with return value 0

Delete the task
    [Tags]    sync
    Delete sync task    ${MAIN_TASK}
    ${count} =    Task count
    Should Be Equal As Integers    ${count}    0
    Module state file should not exist    imapsync/${LOCAL_USER}_${MAIN_TASK}.env
    Module state file should not exist    imapsync/${LOCAL_USER}_${MAIN_TASK}.pwd
    Module state file should not exist    cron/${LOCAL_USER}_${MAIN_TASK}.cron

Get-log of a missing task is empty
    [Tags]    log
    ${result} =    Run task    module/${IMAPSYNC_ID}/get-log
    ...    {"task_id": "000000", "localuser": "${LOCAL_USER}"}
    Should Be Equal    ${result}[log_content]    ${EMPTY}
    Should Be Equal    ${result}[truncated]    ${FALSE}

Get-log returns the last 100 KiB of a long log
    [Tags]    log
    Run as the imapsync module    sh -c 'yes x | head -c 204800 > imapsync/${LOCAL_USER}_trunc1.log'
    ${result} =    Run task    module/${IMAPSYNC_ID}/get-log
    ...    {"task_id": "trunc1", "localuser": "${LOCAL_USER}"}
    Should Be Equal    ${result}[truncated]    ${TRUE}
    ${length} =    Get Length    ${result}[log_content]
    Should Be True    90000 < ${length} <= 102400    msg=${length} characters returned
    Should Start With    ${result}[log_content]    x\n    msg=the tail must start on a whole line
    [Teardown]    Run as the imapsync module    rm -f imapsync/${LOCAL_USER}_trunc1.log

Get-log refuses a task id that is not six letters or digits
    [Tags]    log    validation
    Run Keyword And Expect Error    *Validation errors*
    ...    Run task    module/${IMAPSYNC_ID}/get-log    {"task_id": "invalid_task", "localuser": "${LOCAL_USER}"}

Get-log refuses a path in the task id
    [Tags]    log    validation    security
    Run Keyword And Expect Error    *Validation errors*
    ...    Run task    module/${IMAPSYNC_ID}/get-log    {"task_id": "../etc", "localuser": "${LOCAL_USER}"}

Get-log refuses an invalid local user
    [Tags]    log    validation
    Run Keyword And Expect Error    *Validation errors*
    ...    Run task    module/${IMAPSYNC_ID}/get-log    {"task_id": "${MAIN_TASK}", "localuser": "invalid@user"}

Give u3 a public folder with a subfolder
    [Tags]    public-shared
    Run task    module/${MAIL_ID}/add-public-mailbox
    ...    {"mailbox": "${PUBLIC_MAILBOX}", "acls": [{"stype": "user", "subject": {"name": "${REMOTE_USER}", "dtype": "user"}, "rights": {"rtype": "full"}}]}
    Run in the mail container    doveadm mailbox create -u ${REMOTE_USER} Public/${PUBLIC_MAILBOX}/Sub
    ${folders} =    Mailboxes of    ${REMOTE_USER}
    Should Contain    ${folders}    Public/${PUBLIC_MAILBOX}/Sub

Give u3 a folder shared by u1
    [Documentation]    Depends on the Mail module's shared namespace: unstable on purpose.
    [Tags]    public-shared    unstable
    Run in the mail container    doveadm mailbox create -u ${SENDER} Projects Projects/Sub
    FOR    ${folder}    IN    Projects    Projects/Sub
        Run in the mail container
        ...    doveadm acl set -u ${SENDER} ${folder} user=${REMOTE_USER} lookup read write
    END
    ${folders} =    Mailboxes of    ${REMOTE_USER}
    Should Contain    ${folders}    Shared/${SENDER}/Projects/Sub

Public and shared folders are not synced
    [Documentation]    Their subfolders used to stop the sync with NOPERM (exit 117); the fixed
    ...    exclusion ^Shared(/.*)?$|^Public(/.*)?$ keeps them out at every depth.
    [Tags]    public-shared
    Create sync task    ${SHARED_TASK}
    Wait for a successful sync    ${SHARED_TASK}
    ${log} =    Module state file    imapsync/${LOCAL_USER}_${SHARED_TASK}.log
    Should Not Match Regexp    ${log}    NOPERM|Could not select
    ${folders} =    Mailboxes of    ${LOCAL_USER}
    ${copied} =    Evaluate    [f for f in $folders if '${PUBLIC_MAILBOX}' in f or 'Projects' in f]
    Should Be Empty    ${copied}    msg=public or shared folders reached ${LOCAL_USER}: ${copied}
    [Teardown]    Remove the public and shared folders

No task is left behind
    Delete every task


*** Keywords ***
Mail server choice should be offered
    [Documentation]    get-configuration lists every Mail instance as "<uuid>,<host>".
    ${config} =    Run task    module/${IMAPSYNC_ID}/get-configuration
    Should Not Be Empty    ${config}[mail_server_URL]    msg=no Mail module is offered yet
    ${value} =    Set Variable    ${config}[mail_server_URL][0][value]
    Should Match Regexp    ${value}    ^[^,]+,[^,]+$
    RETURN    ${value}

Remove the public and shared folders
    Run Keyword And Ignore Error    Delete sync task    ${SHARED_TASK}
    Run Keyword And Ignore Error    Run task    module/${MAIL_ID}/remove-public-mailbox
    ...    {"mailbox": "${PUBLIC_MAILBOX}"}
    Run Keyword And Ignore Error    Run in the mail container
    ...    doveadm mailbox delete -r -u ${SENDER} Projects
