import { Alert, Button, FileInput, Group, Modal, Select, Stack, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { messageOf } from '../ui/errors.js';
import { ASSET_KINDS, type Asset, type AssetKind, useCreateAsset } from './forms-api.js';

function toBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Adds gated content: an uploaded file (kept on the server) or an https:// address. */
export function AddAssetButton({ onAdded }: { onAdded: (asset: Asset) => void }) {
  const { t } = useTranslation();
  const [opened, { open, close }] = useDisclosure(false);
  const create = useCreateAsset();
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<AssetKind>('white-paper');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const submit = async (ev: React.FormEvent) => {
    ev.preventDefault();
    const body = file
      ? {
          title,
          kind,
          fileName: file.name,
          contentType: file.type || undefined,
          contentBase64: await toBase64(file),
        }
      : { title, kind, url };
    create.mutate(body, {
      onSuccess: (asset) => {
        onAdded(asset);
        setTitle('');
        setUrl('');
        setFile(null);
        close();
      },
    });
  };
  return (
    <>
      <Button variant="light" size="xs" leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
        {t('forms.assets.add')}
      </Button>
      <Modal opened={opened} onClose={close} title={t('forms.assets.add')}>
        <form onSubmit={(ev) => void submit(ev)}>
          <Stack>
            <TextInput
              label={t('forms.assets.title')}
              value={title}
              required
              onChange={(e) => setTitle(e.currentTarget.value)}
            />
            <Select
              label={t('forms.assets.kind')}
              data={ASSET_KINDS.map((k) => ({ value: k, label: t(`forms.assets.kinds.${k}`) }))}
              value={kind}
              allowDeselect={false}
              onChange={(v) => v && setKind(v as AssetKind)}
            />
            <FileInput label={t('forms.assets.file')} value={file} onChange={setFile} clearable />
            <TextInput
              label={t('forms.assets.url')}
              description={t('forms.assets.urlHint')}
              value={url}
              disabled={file !== null}
              onChange={(e) => setUrl(e.currentTarget.value)}
            />
            {create.isError ? (
              <Alert color="red" role="alert">
                {messageOf(create.error, t)}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button
                type="submit"
                loading={create.isPending}
                disabled={!title.trim() || (!file && !url.trim())}
              >
                {t('forms.assets.save')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
