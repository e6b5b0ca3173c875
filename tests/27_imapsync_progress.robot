*** Settings ***
Documentation       Live progress, new in the Rust module: a run long enough to be watched
...                 (a folder of ${BULK_MESSAGES} messages) is followed with ``syncctl progress
...                 --json`` on the node while list-tasks is polled. Seeing a run in flight
...                 depends on the node's speed, so those checks are tagged unstable.
Resource            imapsync.resource
Suite Setup         Use the installed modules
Suite Teardown      Remove the bulk folders
Test Tags           progress    rewrite


*** Variables ***
${BULK_MESSAGES}    3000
${BULK_FOLDER}      Bulk
${BULK_TASK}        bulk01
# Seconds syncctl progress may follow the run before it is given up (exit 124).
${BULK_RUN_LIMIT}   900


*** Test Cases ***
Create a task before its remote folder fills up
    [Documentation]    create-task starts a run at once; it finds nothing big yet, so the long
    ...    run is the next one, started by hand.
    Create sync task    ${BULK_TASK}    remoteuser=${SENDER}
    Wait for a successful sync    ${BULK_TASK}

Fill a remote folder with many messages
    Append messages over IMAP    ${SENDER}    ${BULK_FOLDER}    ${BULK_MESSAGES}
    Message count should be    ${SENDER}    ${BULK_MESSAGES}    mailbox=${BULK_FOLDER}

Start the long run and follow it with syncctl
    [Documentation]    ``syncctl progress --json`` prints the task's status as one JSON line
    ...    every few seconds until the run is over; it runs in the background while the next
    ...    tests poll list-tasks.
    ${before} =    Task properties    ${BULK_TASK}
    Set Suite Variable    ${BULK_LAST_SYNC}    ${before}[last_sync_timestamp]
    Sleep    1.1s
    Start Command
    ...    runagent -m ${IMAPSYNC_ID} sh -c 'syncctl start ${LOCAL_USER}_${BULK_TASK} >/dev/null && exec timeout ${BULK_RUN_LIMIT} syncctl progress ${LOCAL_USER}_${BULK_TASK} --json'

List-tasks shows the progress of the running task
    [Tags]    unstable
    ${task} =    Wait for list-tasks to show progress    ${BULK_TASK}
    Should Be True    isinstance($task['progress'], dict)
    Should Be True    $task['progress']['messages_total'] >= $task['progress']['messages_done']

Syncctl progress follows the run until it ends
    ${output}    ${rc} =    Read Command Output    return_rc=True
    Should Be Equal As Integers    ${rc}    0    msg=syncctl progress failed:\n${output}
    @{statuses} =    Evaluate    [json.loads(line) for line in $output.splitlines() if line.strip()]
    ...    modules=json
    Set Suite Variable    @{BULK_STATUSES}    @{statuses}
    Should Be Equal    ${statuses}[0][state]    running    msg=the first status is taken right after the start
    Should Be Equal    ${statuses}[-1][state]    stopped
    Should Be Equal As Integers    ${statuses}[-1][last_sync_exit_code]    0
    ${task} =    Wait for a successful sync    ${BULK_TASK}    ${BULK_LAST_SYNC}
    Message count should be    ${LOCAL_USER}    ${BULK_MESSAGES}    mailbox=${BULK_FOLDER}

Syncctl progress counts the messages of the run
    [Tags]    unstable
    ${counted} =    Evaluate
    ...    [s['progress'] for s in $BULK_STATUSES if s.get('progress') and s['progress']['messages_total'] > 0]
    Should Not Be Empty    ${counted}    msg=no status line of the run carried a message count
    Should Be True    all(p['messages_done'] <= p['messages_total'] for p in $counted)


*** Keywords ***
Wait for list-tasks to show progress
    [Documentation]    Polls list-tasks until ``${task_id}`` runs with a progress object; fails
    ...    as soon as the run is over without having been seen so.
    [Arguments]    ${task_id}
    FOR    ${attempt}    IN RANGE    240
        ${task} =    Task properties    ${task_id}
        IF    $task['service_running'] and $task.get('progress')    RETURN    ${task}
        IF    not $task['service_running'] and $task['last_sync_timestamp'] != $BULK_LAST_SYNC
            Fail    the run ended before list-tasks showed its progress
        END
        Sleep    0.5s
    END
    Fail    list-tasks showed no progress in two minutes

Remove the bulk folders
    Run Keyword And Ignore Error    Delete sync task    ${BULK_TASK}
    FOR    ${user}    IN    ${SENDER}    ${LOCAL_USER}
        Run Keyword And Ignore Error    Run in the mail container
        ...    doveadm mailbox delete -r -u ${user} ${BULK_FOLDER}
    END
