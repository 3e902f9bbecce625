import { Button, Group, Modal, PasswordInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ROLES, type Role } from '../api/types.js';
import { fieldErrorsOf, isEmail, messageOf } from '../ui/errors.js';
import { type NewMember, useAddMember } from './members-api.js';

const EMPTY: NewMember = { email: '', name: '', role: 'marketing', password: '' };

export function AddMemberModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const add = useAddMember();
  const [values, setValues] = useState<NewMember>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof NewMember, string>>>({});

  function close() {
    setValues(EMPTY);
    setErrors({});
    add.reset();
    onClose();
  }

  function set<K extends keyof NewMember>(key: K, value: NewMember[K]) {
    setValues((v) => ({ ...v, [key]: value }));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const next: typeof errors = {};
    if (!values.email.trim()) next.email = t('errors.required');
    else if (!isEmail(values.email)) next.email = t('errors.emailInvalid');
    if (!values.name.trim()) next.name = t('errors.required');
    if (!values.password) next.password = t('errors.required');
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    add.mutate(
      { ...values, email: values.email.trim(), name: values.name.trim() },
      {
        onSuccess: (member) => {
          notifications.show({
            color: 'brand',
            message: t('members.added', { name: member.name || member.email }),
          });
          close();
        },
        onError: (error) => setErrors(fieldErrorsOf(error, t)),
      },
    );
  }

  return (
    <Modal opened={opened} onClose={close} title={t('members.addTitle')}>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <TextInput
            label={t('members.email')}
            type="email"
            autoComplete="off"
            required
            data-autofocus
            value={values.email}
            error={errors.email}
            onChange={(e) => set('email', e.currentTarget.value)}
          />
          <TextInput
            label={t('members.name')}
            autoComplete="off"
            required
            value={values.name}
            error={errors.name}
            onChange={(e) => set('name', e.currentTarget.value)}
          />
          <Select
            label={t('members.role')}
            data={ROLES.map((role) => ({ value: role, label: t(`roles.${role}`) }))}
            value={values.role}
            allowDeselect={false}
            error={errors.role}
            onChange={(value) => value && set('role', value as Role)}
          />
          <PasswordInput
            label={t('members.password')}
            description={t('members.passwordHint')}
            autoComplete="new-password"
            required
            value={values.password}
            error={errors.password}
            onChange={(e) => set('password', e.currentTarget.value)}
          />
          {add.isError ? (
            <Text c="red" size="sm" role="alert">
              {messageOf(add.error, t)}
            </Text>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={add.isPending}>
              {t('members.add')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
